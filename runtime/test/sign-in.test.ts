import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport, UnauthorizedError } from '@modelcontextprotocol/client';
import { auth as legacyAuth, type OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationFull, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import type { Browser } from 'playwright-core';
import { launchBrowser, RedirectCatcher, signInInBrowser } from './browser.js';
import { DocumentServer } from '../src/authz/test-https.js';
import { startKit, type Kit } from './harness.js';

/** A stock client's OAuth state, in memory: what Claude Code or VS Code keep in their own stores. */
class MemoryProvider implements OAuthClientProvider {
  client?: OAuthClientInformationFull;
  saved?: OAuthTokens;
  verifier = '';
  authorizationUrl?: URL;
  constructor(readonly redirectUrl: string, readonly name: string) {}
  get clientMetadata() {
    return { client_name: this.name, redirect_uris: [this.redirectUrl], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: OAuthClientInformationFull) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  discovery?: unknown;
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as never;
  }
}

describe('stock MCP clients sign in through the kit (no pre-made token)', () => {
  let kit: Kit;
  let browser: Browser;
  const catcher = new RedirectCatcher();
  const documents = new DocumentServer();
  before(async () => {
    await documents.start();
    kit = await startKit({ broker: true, overrides: { metadataCa: documents.ca } });
    browser = await launchBrowser();
    await catcher.start();
  });
  after(async () => {
    await browser?.close();
    await catcher.stop();
    await documents.stop();
    await kit?.close();
  });

  async function browserSignIn(url: URL, user: { name: string; groups: string }): Promise<URL> {
    const context = await browser.newContext();
    try {
      return await signInInBrowser(await context.newPage(), url.href, user, catcher.next());
    } finally {
      await context.close();
    }
  }

  test('SDK v1 auth(): DCR, consent and login in chromium, then tools/list and whoami in the 2025-11-25 era', async () => {
    const provider = new MemoryProvider(catcher.url, 'Legacy SDK test client');
    assert.equal(await legacyAuth(provider, { serverUrl: kit.url }), 'REDIRECT');
    assert.ok(provider.client?.client_id.startsWith('dyn-'), 'registered dynamically');
    const back = await browserSignIn(provider.authorizationUrl!, { name: 'carol', groups: 'staff' });
    assert.equal(back.searchParams.get('iss'), new URL(kit.url).origin, 'RFC 9207 iss in the authorization response');
    assert.equal(await legacyAuth(provider, { serverUrl: kit.url, authorizationCode: back.searchParams.get('code')! }), 'AUTHORIZED');
    const claims = decodeJwt(provider.saved!.access_token);
    assert.equal(claims.aud, kit.resource, 'bound to the resource');
    assert.equal(claims.client_id, provider.client!.client_id);
    assert.ok(provider.saved!.refresh_token, 'a refresh token for the refresh grant');

    const client = new LegacyClient({ name: 'signed-in-legacy', version: '1.0.0' });
    await client.connect(new LegacyTransport(new URL(kit.url), { authProvider: provider }));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'search_documents'), 'staff see the document search');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const identity = result.structuredContent as { subject: string; clientId: string; groups: string[] };
      assert.equal(identity.subject, 'carol');
      assert.equal(identity.clientId, provider.client!.client_id, 'the MCP client id is part of the principal');
      assert.deepEqual(identity.groups, ['staff']);
    } finally {
      await client.close();
    }
    const logged = kit.logs.filter((line) => line.includes('"status":200') && line.includes('"clientId"')).map((line) => JSON.parse(line) as { clientId: string });
    assert.ok(logged.some((record) => record.clientId === provider.client!.client_id), 'the access log names the MCP client');
  });

  test('SDK v1 auth() with a Client ID Metadata Document (https on loopback): no registration, the page names the host', async () => {
    const provider = new MemoryProvider(catcher.url, 'unused');
    const documentUrl = documents.serve('/oauth/client-metadata.json', { client_name: 'Document SDK client', redirect_uris: [catcher.url], grant_types: ['authorization_code', 'refresh_token'] });
    Object.assign(provider, { clientMetadataUrl: documentUrl });
    assert.equal(await legacyAuth(provider, { serverUrl: kit.url }), 'REDIRECT');
    assert.equal(provider.authorizationUrl!.searchParams.get('client_id'), documentUrl, 'the URL is the client id');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(provider.authorizationUrl!.href);
      assert.match((await page.textContent('main')) ?? '', new RegExp(`published by ${new URL(documentUrl).host.replace('.', '\\.')}`));
      const back = await signInInBrowser(page, provider.authorizationUrl!.href, { name: 'frank', groups: 'staff' }, catcher.next());
      assert.equal(await legacyAuth(provider, { serverUrl: kit.url, authorizationCode: back.searchParams.get('code')! }), 'AUTHORIZED');
    } finally {
      await context.close();
    }
    const client = new LegacyClient({ name: 'document-client', version: '1.0.0' });
    await client.connect(new LegacyTransport(new URL(kit.url), { authProvider: provider }));
    try {
      const identity = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { subject: string; clientId: string };
      assert.deepEqual([identity.subject, identity.clientId], ['frank', documentUrl]);
    } finally {
      await client.close();
    }
  });

  test('the consent page cannot be framed, runs no script and needs none', async () => {
    const provider = new MemoryProvider(catcher.url, 'Framing test client');
    assert.equal(await legacyAuth(provider, { serverUrl: kit.url }), 'REDIRECT');
    const consentUrl = provider.authorizationUrl!.href;
    const direct = await fetch(consentUrl, { redirect: 'manual' });
    const csp = direct.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src/, 'no script source at all: default-src none forbids every script');
    assert.equal(direct.headers.get('x-frame-options'), 'DENY');

    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      // A hostile page on another origin tries to frame the consent page (clickjacking).
      const hostile = await context.newPage();
      await hostile.goto(catcher.url);
      await hostile.setContent(`<iframe id="victim" src="${consentUrl}" width="600" height="400"></iframe>`);
      const frame = await (await hostile.waitForSelector('#victim')).contentFrame();
      assert.ok(frame, 'the frame exists');
      await frame.waitForLoadState('load');
      const framedTitle = await frame.title().catch(() => '');
      assert.notEqual(framedTitle, 'Allow access?', 'the browser refused to render the consent page in a frame');
      // The same page opened directly works with script turned off.
      const page = await context.newPage();
      await page.goto(consentUrl);
      assert.equal(await page.title(), 'Allow access?');
      assert.ok(await page.getByRole('button', { name: 'Allow' }).isVisible());
      assert.match((await page.textContent('main')) ?? '', /Unverified client/);
    } finally {
      await context.close();
    }
  });

  test('SDK v2 OAuth flow through the transport: DCR, browser sign-in, finishAuth, then the 2026-07-28 era', async () => {
    const provider = new MemoryProvider(catcher.url, 'Modern SDK test client');
    const connect = async () => {
      const client = new Client({ name: 'signed-in-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      const transport = new StreamableHTTPClientTransport(new URL(kit.url), { authProvider: provider as never });
      await client.connect(transport);
      return { client, transport };
    };
    const first = new StreamableHTTPClientTransport(new URL(kit.url), { authProvider: provider as never });
    const refused = new Client({ name: 'signed-in-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await assert.rejects(refused.connect(first).then(() => refused.listTools()), UnauthorizedError);
    assert.ok(provider.authorizationUrl, 'the client was sent to sign in');
    const back = await browserSignIn(provider.authorizationUrl, { name: 'dave', groups: 'analysts' });
    await first.finishAuth(back.searchParams);
    await first.close().catch(() => undefined);
    const { client } = await connect();
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'generate_report'), 'analysts see the reports');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      const identity = result.structuredContent as { subject: string; clientId: string; groups: string[] };
      assert.equal(identity.subject, 'dave');
      assert.equal(identity.clientId, provider.client!.client_id);
      assert.deepEqual(identity.groups, ['analysts']);
    } finally {
      await client.close();
    }
  });
  test('SDK v2 OAuth flow with a Client ID Metadata Document: no registration, browser sign-in, then the 2025-11-25 era', async () => {
    const documentUrl = documents.serve('/oauth/modern-client.json', { client_name: 'Document modern client', redirect_uris: [catcher.url], grant_types: ['authorization_code', 'refresh_token'] });
    const provider = Object.assign(new MemoryProvider(catcher.url, 'unused'), { clientMetadataUrl: documentUrl });
    const legacyEra = { versionNegotiation: { mode: 'legacy' } } as const;
    const first = new StreamableHTTPClientTransport(new URL(kit.url), { authProvider: provider as never });
    const refused = new Client({ name: 'document-modern', version: '1.0.0' }, legacyEra as never);
    await assert.rejects(refused.connect(first).then(() => refused.listTools()), UnauthorizedError);
    assert.ok(provider.authorizationUrl, 'the client was sent to sign in');
    assert.equal(provider.authorizationUrl.searchParams.get('client_id'), documentUrl, 'the document URL is the client id');
    assert.equal(provider.client?.client_id, documentUrl, 'no registration: the client keeps the document URL as its id');
    const back = await browserSignIn(provider.authorizationUrl, { name: 'grace', groups: 'staff' });
    await first.finishAuth(back.searchParams);
    await first.close().catch(() => undefined);
    const client = new Client({ name: 'document-modern', version: '1.0.0' }, legacyEra as never);
    await client.connect(new StreamableHTTPClientTransport(new URL(kit.url), { authProvider: provider as never }));
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2025-11-25');
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'whoami'));
      const identity = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { subject: string; clientId: string };
      assert.deepEqual([identity.subject, identity.clientId], ['grace', documentUrl]);
    } finally {
      await client.close();
    }
  });
});
