import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { DocumentServer } from '../src/authz/test-https.js';
import { launchBrowser, RedirectCatcher, signInInBrowser } from './browser.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';
import { browserStep, completeSignIn, CookieJar, pkcePair } from './sign-in-flow.js';

const PAGE_TITLE = 'Applications you allowed';

interface Tokens {
  access_token?: string;
  refresh_token?: string;
  error?: string;
}

describe('consents page: a user lists and revokes the applications they allowed', () => {
  let kit: Kit;
  let issuer: string;
  let browser: Browser;
  const catcher = new RedirectCatcher();
  const documents = new DocumentServer();
  before(async () => {
    await documents.start();
    kit = await startKit({ broker: true, overrides: { metadataCa: documents.ca }, env: { MCP_BROKER_REGISTRATIONS_PER_MINUTE: '1000' } });
    issuer = new URL(kit.url).origin;
    browser = await launchBrowser();
    await catcher.start();
  });
  after(async () => {
    await browser?.close();
    await catcher.stop();
    await documents.stop();
    await kit?.close();
  });

  async function register(name: string, redirectUri = catcher.url): Promise<string> {
    const response = await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: name, redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(response.status, 201);
    return ((await response.json()) as { client_id: string }).client_id;
  }

  function authorizeUrl(clientId: string, challenge: string, redirectUri = catcher.url): string {
    const url = new URL(`${issuer}/oauth/authorize`);
    url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: kit.resource }).toString();
    return url.href;
  }

  async function token(form: Record<string, string>): Promise<{ status: number; body: Tokens }> {
    const response = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
    return { status: response.status, body: (await response.json()) as Tokens };
  }

  async function redeem(clientId: string, code: string, verifier: string, redirectUri = catcher.url): Promise<Tokens> {
    const answer = await token({ grant_type: 'authorization_code', code, client_id: clientId, redirect_uri: redirectUri, code_verifier: verifier });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body;
  }

  /** The client signs in through the browser context (consent and login on the real pages) and redeems its code. */
  async function signInClient(context: BrowserContext, clientId: string, user: { name: string; groups: string }): Promise<Tokens> {
    const { verifier, challenge } = pkcePair();
    const page = await context.newPage();
    try {
      const back = await signInInBrowser(page, authorizeUrl(clientId, challenge), user, catcher.next());
      return await redeem(clientId, back.searchParams.get('code')!, verifier);
    } finally {
      await page.close();
    }
  }

  /** Opens the consents page in the browser, signing in at the identity provider when it asks. */
  async function openConsents(page: Page, user: { name: string; groups: string }): Promise<void> {
    await page.goto(`${issuer}/oauth/consents`);
    for (let step = 0; step < 3 && (await page.title()) !== PAGE_TITLE; step += 1) {
      assert.match(await page.title(), /^Sign in/, `the page sends the user to sign in first (at ${page.url()})`);
      await page.getByLabel('User name').fill(user.name);
      await page.getByLabel('Groups (comma-separated)').fill(user.groups);
      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Sign in' }).click()]);
    }
    assert.equal(await page.title(), PAGE_TITLE);
  }

  const refresh = (clientId: string, refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });

  test('in chromium: the page lists each client (name, CIMD host or unverified, scopes, when); Revoke ends its refresh and it must ask again', async () => {
    const user = { name: 'grace', groups: 'staff' };
    const dynamicId = await register('Grace\u2019s desktop client');
    const documentUrl = documents.serve('/clients/grace.json', { client_name: 'Document client for Grace', redirect_uris: [catcher.url], grant_types: ['authorization_code', 'refresh_token'] });
    const context = await browser.newContext({ javaScriptEnabled: false });
    try {
      const dynamicTokens = await signInClient(context, dynamicId, user);
      const documentTokens = await signInClient(context, documentUrl, user);

      const page = await context.newPage();
      await openConsents(page, user);
      const main = (await page.textContent('main')) ?? '';
      assert.match(main, /Signed in as grace/);
      const items = page.getByRole('list', { name: 'Applications you allowed' }).getByRole('listitem');
      assert.equal(await items.count(), 2);
      const dynamicRow = (await items.filter({ hasText: 'Grace\u2019s desktop client' }).textContent()) ?? '';
      assert.match(dynamicRow, /unverified/);
      assert.match(dynamicRow, /mcp:identity\.read/);
      assert.match(dynamicRow, /\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
      const documentRow = (await items.filter({ hasText: 'Document client for Grace' }).textContent()) ?? '';
      assert.match(documentRow, new RegExp(`published by ${new URL(documentUrl).host.replace(/\./g, '\\.')}`));
      assert.doesNotMatch(documentRow, /unverified/);

      await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Revoke access of Grace\u2019s desktop client' }).click()]);
      assert.equal(await page.title(), PAGE_TITLE);
      assert.match((await page.getByRole('status').textContent()) ?? '', /Access revoked.*at most 10 minutes/);
      assert.equal(await items.count(), 1, 'the revoked client is gone from the list');
      assert.equal(await items.filter({ hasText: 'Document client for Grace' }).count(), 1, 'the other consent is untouched');

      assert.equal((await refresh(dynamicId, dynamicTokens.refresh_token!)).body.error, 'invalid_grant', 'the revoked client cannot renew its access');
      assert.equal((await refresh(documentUrl, documentTokens.refresh_token!)).status, 200, 'the other client still can');
      const stillValid = await post(kit.url, INITIALIZE, { authorization: `Bearer ${dynamicTokens.access_token}` });
      assert.equal(stillValid.status, 200, 'an access token already issued lives out its short lifetime (documented)');

      // The same browser remembers grace, yet the revoked client is asked again.
      const again = await context.newPage();
      await again.goto(authorizeUrl(dynamicId, pkcePair().challenge));
      assert.equal(await again.title(), 'Allow access?', 'the client must ask for consent again');
      assert.equal(await again.getByRole('link', { name: 'the page of applications you allowed' }).getAttribute('href'), '/oauth/consents', 'the consent page says where to revoke');
    } finally {
      await context.close();
    }
  });

  test('the consents page cannot be framed and runs no script', async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openConsents(page, { name: 'heidi', groups: 'staff' });
      const cookies = (await context.cookies(issuer)).map((entry) => `${entry.name}=${entry.value}`).join('; ');
      assert.match(cookies, /__Host-mcp-consents=/, 'a __Host- cookie carries the visit');
      const direct = await fetch(`${issuer}/oauth/consents`, { headers: { cookie: cookies }, redirect: 'manual' });
      assert.equal(direct.status, 200);
      const csp = direct.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /form-action 'self';/, 'its forms post to this origin only');
      assert.doesNotMatch(csp, /script-src/);
      assert.equal(direct.headers.get('x-frame-options'), 'DENY');
      assert.equal(direct.headers.get('cache-control'), 'no-store');
      const setCookie = (await context.cookies(issuer)).find((entry) => entry.name === '__Host-mcp-consents');
      assert.ok(setCookie?.secure && setCookie.httpOnly && setCookie.path === '/' && setCookie.sameSite === 'Lax');

      const hostile = await context.newPage();
      await hostile.goto(catcher.url);
      await hostile.setContent(`<iframe id="victim" src="${issuer}/oauth/consents" width="600" height="400"></iframe>`);
      const frame = await (await hostile.waitForSelector('#victim')).contentFrame();
      assert.ok(frame);
      await frame.waitForLoadState('load');
      assert.notEqual(await frame.title().catch(() => ''), PAGE_TITLE, 'the browser refused to render the page in a frame');
    } finally {
      await context.close();
    }
  });

  describe('raw HTTP: forged, foreign and malformed revocations change nothing', () => {
    const REDIRECT = 'http://127.0.0.1:45998/callback';

    /** A client's sign-in by HTTP as a browser does it, in `jar`: returns its tokens. */
    async function httpSignIn(jar: CookieJar, clientId: string, name: string): Promise<Tokens> {
      const { verifier, challenge } = pkcePair();
      const back = await completeSignIn(jar, authorizeUrl(clientId, challenge, REDIRECT), REDIRECT, { name, groups: 'staff' });
      return redeem(clientId, back.searchParams.get('code')!, verifier, REDIRECT);
    }

    /** Signs in to the consents page by HTTP in `jar`; returns the page's CSRF token. */
    async function consentsSession(jar: CookieJar, name: string): Promise<string> {
      const start = await browserStep(jar, `${issuer}/oauth/consents`);
      assert.equal(start.status, 303, 'not signed in: sent to the identity provider');
      await completeSignIn(jar, start.headers.get('location')!, `${issuer}/oauth/consents`, { name, groups: 'staff' });
      return csrfOf(jar);
    }

    async function listed(jar: CookieJar): Promise<string> {
      const page = await browserStep(jar, `${issuer}/oauth/consents`);
      assert.equal(page.status, 200);
      return page.text();
    }

    async function csrfOf(jar: CookieJar): Promise<string> {
      const csrf = /name="csrf" value="([^"]+)"/.exec(await listed(jar))?.[1];
      assert.ok(csrf, 'the page carries its CSRF token');
      return csrf;
    }

    function submit(jar: CookieJar | undefined, form: Record<string, string> | string, type = 'application/x-www-form-urlencoded'): Promise<Response> {
      return fetch(`${issuer}/oauth/consents`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': type, ...(jar ? { cookie: jar.header() } : {}) },
        body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
      });
    }

    async function refused(response: Response, status: number): Promise<void> {
      assert.equal(response.status, status);
      assert.equal(response.headers.get('location'), null);
      const html = await response.text();
      assert.match(html, /Nothing was changed/);
      assert.doesNotMatch(html, /evil|<script/i, 'no echo of the input');
    }

    test('missing or foreign CSRF token, no visit, another user\u2019s or an unknown client, malformed forms: refused, everything kept', async () => {
      const aliceClient = await register('Alice client', REDIRECT);
      const bobClient = await register('Bob client', REDIRECT);
      const aliceJar = new CookieJar();
      const bobJar = new CookieJar();
      const aliceTokens = await httpSignIn(aliceJar, aliceClient, 'alice-c');
      const bobTokens = await httpSignIn(bobJar, bobClient, 'bob-c');
      const aliceCsrf = await consentsSession(aliceJar, 'alice-c');
      const bobCsrf = await consentsSession(bobJar, 'bob-c');
      assert.notEqual(aliceCsrf, bobCsrf);

      await refused(await submit(aliceJar, { action: 'revoke', client: aliceClient }), 403);
      await refused(await submit(aliceJar, { action: 'revoke', client: aliceClient, csrf: bobCsrf }), 403);
      await refused(await submit(aliceJar, { action: 'revoke', client: aliceClient, csrf: 'x'.repeat(43) }), 403);
      await refused(await submit(undefined, { action: 'revoke', client: aliceClient, csrf: aliceCsrf }), 401);
      await refused(await submit(aliceJar, { action: 'revoke', client: bobClient, csrf: aliceCsrf }), 404);
      await refused(await submit(aliceJar, { action: 'revoke', client: 'dyn-unknown-<script>evil', csrf: aliceCsrf }), 404);
      await refused(await submit(aliceJar, `action=revoke&client=${aliceClient}&client=${bobClient}&csrf=${aliceCsrf}`), 400);
      await refused(await submit(aliceJar, { action: 'delete-everything', client: aliceClient, csrf: aliceCsrf }), 400);
      await refused(await submit(aliceJar, JSON.stringify({ action: 'revoke', client: aliceClient, csrf: aliceCsrf }), 'application/json'), 400);
      await refused(await submit(aliceJar, `csrf=${aliceCsrf}&action=revoke&client=${'x'.repeat(9000)}`), 400);
      const put = await fetch(`${issuer}/oauth/consents`, { method: 'PUT', headers: { cookie: aliceJar.header() } });
      assert.equal(put.status, 405);

      assert.match(await listed(aliceJar), /Alice client/, 'alice\u2019s consent is still there');
      assert.match(await listed(bobJar), /Bob client/, 'bob\u2019s consent is still there');
      assert.doesNotMatch(await listed(aliceJar), /Bob client/, 'a user sees only their own consents');
      const aliceRefreshed = await refresh(aliceClient, aliceTokens.refresh_token!);
      const bobRefreshed = await refresh(bobClient, bobTokens.refresh_token!);
      assert.deepEqual([aliceRefreshed.status, bobRefreshed.status], [200, 200], 'both refresh families still work');

      // The real form: consent and refresh family gone, even after the user allows the client anew.
      const revoked = await submit(aliceJar, { action: 'revoke', client: aliceClient, csrf: aliceCsrf });
      assert.equal(revoked.status, 303);
      assert.equal(revoked.headers.get('location'), '/oauth/consents?revoked=1');
      assert.doesNotMatch(await listed(aliceJar), /Alice client/);
      const asked = await browserStep(aliceJar, authorizeUrl(aliceClient, pkcePair().challenge, REDIRECT));
      assert.equal(asked.status, 200, 'the remembered browser is asked again');
      assert.match(await asked.text(), /Allow access\?/);
      await httpSignIn(aliceJar, aliceClient, 'alice-c');
      assert.equal((await refresh(aliceClient, aliceRefreshed.body.refresh_token!)).body.error, 'invalid_grant', 'the old family stays revoked after a new consent');
      assert.equal((await refresh(bobClient, bobRefreshed.body.refresh_token!)).status, 200, 'bob is untouched');
    });

    test('a code issued before the revocation is not redeemed after it; sign-out ends the visit', async () => {
      const clientId = await register('Racing client', REDIRECT);
      const jar = new CookieJar();
      await httpSignIn(jar, clientId, 'ivan-c');
      const csrf = await consentsSession(jar, 'ivan-c');
      // A second sign-in in the same browser skips the consent page: its code waits to be redeemed.
      const { verifier, challenge } = pkcePair();
      const back = await completeSignIn(jar, authorizeUrl(clientId, challenge, REDIRECT), REDIRECT, { name: 'ivan-c', groups: 'staff' });
      assert.equal((await submit(jar, { action: 'revoke', client: clientId, csrf })).status, 303);
      const late = await token({ grant_type: 'authorization_code', code: back.searchParams.get('code')!, client_id: clientId, redirect_uri: REDIRECT, code_verifier: verifier });
      assert.deepEqual([late.status, late.body.error], [400, 'invalid_grant']);

      const signedOut = await submit(jar, { action: 'signout', csrf });
      assert.equal(signedOut.status, 200);
      assert.match(await signedOut.text(), /signed out/i);
      const afterwards = await fetch(`${issuer}/oauth/consents`, { headers: { cookie: jar.header() }, redirect: 'manual' });
      assert.equal(afterwards.status, 303, 'the old visit cookie no longer opens the page');
      await refused(await submit(jar, { action: 'revoke', client: clientId, csrf }), 401);
    });
  });
});
