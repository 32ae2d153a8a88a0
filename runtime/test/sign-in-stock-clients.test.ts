import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Stream } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Browser, Page } from 'playwright-core';
import { DocumentServer } from '../src/authz/test-https.js';
import { freePort } from '../src/dev/environment.js';
import { launchBrowser, signInInBrowser } from './browser.js';
import { startKit, type Kit } from './harness.js';

// The stock clients as npm installs them (exact versions in runtime/package.json).
const require = createRequire(import.meta.url);
const INSPECTOR = join(dirname(require.resolve('@modelcontextprotocol/inspector/package.json')), 'clients/launcher/build/index.js');
const MCP_REMOTE = join(dirname(require.resolve('mcp-remote/package.json')), 'dist/proxy.js');
const SIGN_IN_TIMEOUT_MS = 120_000;

/**
 * The environment of a stock client run: its own home and storage (nothing of the machine's),
 * and `BROWSER=true` so its "open the browser" step runs `true` instead of a desktop browser:
 * the test's chromium follows the printed URL instead, as the user would.
 */
function clientEnvironment(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  return { ...env, HOME: home, BROWSER: 'true', NO_COLOR: '1', ...extra };
}

/** Resolves with the first match of `pattern` in what `stream` prints (kept in `seen` for failure messages). */
function printed(stream: Stream, pattern: RegExp, seen: { text: string }): Promise<string> {
  return new Promise((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      seen.text += chunk.toString('utf8');
      const match = pattern.exec(seen.text);
      if (match) resolve(match[1]!);
    });
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('stock MCP clients installed from npm sign in through the broker (login and consent in chromium)', () => {
  let kit: Kit;
  let browser: Browser;
  const homes: string[] = [];
  const documents = new DocumentServer();
  before(async () => {
    await documents.start();
    kit = await startKit({ broker: true, overrides: { metadataCa: documents.ca } });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await kit?.close();
    await documents.stop();
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  function newHome(prefix: string): string {
    const home = mkdtempSync(join(tmpdir(), prefix));
    homes.push(home);
    return home;
  }

  /** Follows the authorization URL a client printed, in a fresh chromium context, until the client's own callback listener has the answer. */
  async function userSignsIn(authorizationUrl: string, callbackPrefix: string, user: { name: string; groups: string }): Promise<URL> {
    const context = await browser.newContext();
    try {
      const page: Page = await context.newPage();
      const reached = page.waitForURL((url) => url.href.startsWith(callbackPrefix), { timeout: SIGN_IN_TIMEOUT_MS }).then(() => new URL(page.url()));
      return await signInInBrowser(page, authorizationUrl, user, reached);
    } finally {
      await context.close();
    }
  }

  /** One run of the Inspector CLI against the kit: its exit status, what it printed, and the authorization URL it asked the user to open (if any). */
  function inspector(home: string, callback: string, args: string[]): { code: Promise<number | null>; stdout: { text: string }; stderr: { text: string }; url: Promise<string> } {
    // MCP_AUTO_OPEN_ENABLED=true: the CLI's interactive OAuth runs without a TTY (its documented switch for that).
    const env = clientEnvironment(home, { MCP_STORAGE_DIR: home, MCP_INSPECTOR_SECRET_STORE: 'file', MCP_AUTO_OPEN_ENABLED: 'true' });
    const child = spawn(process.execPath, [INSPECTOR, '--cli', kit.url, '--transport', 'http', '--format', 'json', '--callback-url', callback, ...args], { env });
    const stdout = { text: '' };
    const stderr = { text: '' };
    child.stdout.on('data', (chunk: Buffer) => (stdout.text += chunk.toString('utf8')));
    const code = exited(child);
    const asked = printed(child.stderr, /Please navigate to: (\S+)\r?\n/, stderr);
    const url = Promise.race([asked, code.then((status) => assert.fail(`the CLI exited (${status}) without asking to sign in: ${stderr.text.slice(-500)}`))]);
    return { code, stdout, stderr, url };
  }

  test('MCP Inspector CLI (--cli): DCR and OAuth with its loopback callback, tools/list; then whoami from its stored sign-in, in both eras', async () => {
    const home = newHome('inspector-');
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const first = inspector(home, callback, ['--method', 'tools/list']);
    const url = await first.url;
    const authorization = new URL(url);
    assert.equal(authorization.origin + authorization.pathname, `${new URL(kit.url).origin}/oauth/authorize`, 'the CLI found the broker through the protected-resource metadata');
    assert.ok(authorization.searchParams.get('client_id')?.startsWith('dyn-'), 'it registered itself (DCR)');
    assert.equal(authorization.searchParams.get('resource'), kit.resource);
    const back = await userSignsIn(url, callback, { name: 'ines', groups: 'staff' });
    assert.equal(back.searchParams.get('iss'), new URL(kit.url).origin);
    assert.equal(await first.code, 0, `tools/list failed: ${first.stderr.text.slice(-500)}`);
    const listed = JSON.parse(first.stdout.text) as { result: { tools: Array<{ name: string }> } };
    assert.ok(listed.result.tools.some((tool) => tool.name === 'search_documents'), 'staff see the document search');

    for (const era of ['legacy', 'modern']) {
      const second = inspector(home, callback, ['--method', 'tools/call', '--tool-name', 'whoami', '--stored-auth-only', '--protocol-era', era]);
      void second.url.catch(() => undefined);
      assert.equal(await second.code, 0, `whoami (${era}) failed: ${second.stderr.text.slice(-500)}`);
      const identity = (JSON.parse(second.stdout.text) as { result: { structuredContent: { subject: string; clientId: string; groups: string[] } } }).result.structuredContent;
      assert.equal(identity.subject, 'ines', `${era}: the signed-in user`);
      assert.equal(identity.clientId, authorization.searchParams.get('client_id'), `${era}: the Inspector's own client id`);
      assert.deepEqual(identity.groups, ['staff']);
    }
    const eras = new Set(
      kit.logs
        .filter((line) => line.includes('"protocolEra"'))
        .map((line) => JSON.parse(line) as { clientId?: string; protocolEra: string })
        .filter((record) => record.clientId === authorization.searchParams.get('client_id'))
        .map((record) => record.protocolEra),
    );
    assert.deepEqual([...eras].sort(), ['legacy', 'modern'], 'the access log shows the Inspector in both protocol eras');
  });

  test('MCP Inspector CLI with --client-metadata-url: no registration, the broker fetches the document, the consent page names its host', async () => {
    const home = newHome('inspector-cimd-');
    const callback = `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const documentUrl = documents.serve('/inspector/client.json', { client_name: 'MCP Inspector (CIMD)', redirect_uris: [callback], grant_types: ['authorization_code', 'refresh_token'] });
    const run = inspector(home, callback, ['--method', 'tools/call', '--tool-name', 'whoami', '--client-metadata-url', documentUrl]);
    const url = await run.url;
    assert.equal(new URL(url).searchParams.get('client_id'), documentUrl, 'the document URL is the client id');
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(url);
      assert.match((await page.textContent('main')) ?? '', new RegExp(`MCP Inspector \\(CIMD\\).*published by ${new URL(documentUrl).host.replace(/\./g, '\\.')}`, 's'));
      const reached = page.waitForURL((at) => at.href.startsWith(callback), { timeout: SIGN_IN_TIMEOUT_MS }).then(() => new URL(page.url()));
      await signInInBrowser(page, url, { name: 'kim', groups: 'staff' }, reached);
    } finally {
      await context.close();
    }
    assert.equal(await run.code, 0, `whoami failed: ${run.stderr.text.slice(-500)}`);
    const identity = (JSON.parse(run.stdout.text) as { result: { structuredContent: { subject: string; clientId: string } } }).result.structuredContent;
    assert.deepEqual([identity.subject, identity.clientId], ['kim', documentUrl]);
  });

  test('mcp-remote (stdio proxy): DCR and OAuth with its local callback listener, then tools/list and whoami through it', async () => {
    const home = newHome('mcp-remote-');
    const port = await freePort();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE, kit.url, String(port)],
      env: clientEnvironment(home, { MCP_REMOTE_CONFIG_DIR: home }),
      stderr: 'pipe',
    });
    const stderr = { text: '' };
    const url = printed(transport.stderr!, /Please authorize this client by visiting:\s+(\S+)\r?\n/, stderr);
    const client = new Client({ name: 'stock-client-test', version: '1.0.0' });
    const connected = client.connect(transport);
    try {
      const authorizationUrl = await Promise.race([url, connected.then(() => assert.fail(`mcp-remote connected without signing in: ${stderr.text}`))]);
      const authorization = new URL(authorizationUrl);
      assert.ok(authorization.searchParams.get('client_id')?.startsWith('dyn-'), 'it registered itself (DCR)');
      assert.equal(new URL(authorization.searchParams.get('redirect_uri')!).port, String(port), 'its callback listener is on the port it was given');
      await userSignsIn(authorizationUrl, `http://localhost:${port}/`, { name: 'jonas', groups: 'analysts' });
      await connected;
      const { tools } = await client.listTools();
      assert.ok(tools.some((tool) => tool.name === 'generate_report'), 'analysts see the reports');
      const identity = (await client.callTool({ name: 'whoami', arguments: {} })).structuredContent as { subject: string; clientId: string; groups: string[] };
      assert.equal(identity.subject, 'jonas');
      assert.equal(identity.clientId, authorization.searchParams.get('client_id'));
      assert.deepEqual(identity.groups, ['analysts']);
    } finally {
      await client.close();
    }
  });
});
