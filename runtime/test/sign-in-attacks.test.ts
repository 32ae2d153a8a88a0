import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { importJWK, SignJWT, type JWK } from 'jose';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';
import { browserStep, completeSignIn, consentFields, CookieJar, pkcePair } from './sign-in-flow.js';

const REDIRECT = 'http://127.0.0.1:45999/callback';

interface OAuthAnswer {
  status: number;
  body: { error?: string; error_description?: string; access_token?: string; refresh_token?: string; client_id?: string };
}

describe('sign-in attack matrix: every bad input gets its OAuth error, never a 5xx, and loses nothing', () => {
  let kit: Kit;
  let issuer: string;
  let clientId: string;
  before(async () => {
    kit = await startKit({ broker: true, env: { MCP_BROKER_REGISTRATIONS_PER_MINUTE: '1000' } });
    issuer = new URL(kit.url).origin;
    clientId = (await register({ client_name: 'Attack matrix client', redirect_uris: [REDIRECT] })).body.client_id!;
  });
  after(async () => {
    await kit?.close();
  });

  async function register(metadata: unknown, raw?: string): Promise<OAuthAnswer> {
    const response = await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(metadata),
    });
    return { status: response.status, body: (await response.json()) as OAuthAnswer['body'] };
  }

  async function tokenRequest(form: Record<string, string>, headers: Record<string, string> = {}): Promise<OAuthAnswer> {
    const response = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(form).toString(),
    });
    assert.ok(response.status < 500, `token endpoint answered ${response.status}`);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return { status: response.status, body: (await response.json()) as OAuthAnswer['body'] };
  }

  function authorizeUrl(params: Record<string, string | undefined>): string {
    const url = new URL(`${issuer}/oauth/authorize`);
    const { challenge } = pkcePair();
    const all: Record<string, string | undefined> = {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: REDIRECT,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'st-1',
      resource: kit.resource,
      ...params,
    };
    for (const [name, value] of Object.entries(all)) if (value !== undefined) url.searchParams.set(name, value);
    return url.href;
  }

  /** A full sign-in by HTTP, as a browser does it: returns a fresh code and its verifier. */
  async function freshCode(client = clientId, redirectUri = REDIRECT): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkcePair();
    const back = await completeSignIn(new CookieJar(), authorizeUrl({ client_id: client, redirect_uri: redirectUri, code_challenge: challenge }), redirectUri);
    const code = back.searchParams.get('code');
    assert.ok(code, `a code came back: ${back.href}`);
    assert.equal(back.searchParams.get('iss'), issuer);
    return { code, verifier };
  }

  async function redirectError(url: string): Promise<URL> {
    const response = await browserStep(new CookieJar(), url);
    assert.equal(response.status, 303, 'an error the client can act on goes back to its registered redirect URI');
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.origin + location.pathname, REDIRECT);
    assert.equal(location.searchParams.get('iss'), issuer, 'RFC 9207 iss on errors too');
    assert.equal(location.searchParams.get('state'), 'st-1');
    return location;
  }

  async function errorPage(url: string): Promise<void> {
    const response = await browserStep(new CookieJar(), url);
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null, 'never a redirect to an untrusted URI');
    const html = await response.text();
    assert.match(response.headers.get('content-type') ?? '', /text\/html/);
    assert.ok(!html.includes('evil.example'), 'the page does not echo the attacker URL');
  }

  test('scope names agree: the 401 challenge, the protected-resource metadata and the authorization-server metadata', async () => {
    const challenge = (await post(kit.url, INITIALIZE)).headers.get('www-authenticate') ?? '';
    const challenged = (/scope="([^"]*)"/.exec(challenge)?.[1] ?? '').split(' ').sort();
    const prm = (await (await fetch(`${issuer}/.well-known/oauth-protected-resource/mcp`)).json()) as { scopes_supported: string[]; authorization_servers: string[] };
    const as = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[]; issuer: string };
    assert.ok(challenged.length > 0);
    assert.deepEqual([...prm.scopes_supported].sort(), challenged);
    assert.deepEqual([...as.scopes_supported].sort(), challenged);
    assert.deepEqual(prm.authorization_servers, [issuer], 'the protected resource names this server as its authorization server');
    assert.equal(as.issuer, issuer);
  });

  test('authorize: missing or plain PKCE, unknown resource, wrong response type come back as OAuth errors with iss', async () => {
    assert.equal((await redirectError(authorizeUrl({ code_challenge: undefined }))).searchParams.get('error'), 'invalid_request');
    assert.equal((await redirectError(authorizeUrl({ code_challenge_method: 'plain' }))).searchParams.get('error'), 'invalid_request');
    assert.equal((await redirectError(authorizeUrl({ code_challenge_method: undefined }))).searchParams.get('error'), 'invalid_request');
    assert.equal((await redirectError(authorizeUrl({ resource: 'https://other.example/mcp' }))).searchParams.get('error'), 'invalid_target');
    assert.equal((await redirectError(authorizeUrl({ response_type: 'token' }))).searchParams.get('error'), 'unsupported_response_type');
    assert.equal((await redirectError(authorizeUrl({ scope: 'mcp:identity.read admin:everything' }))).searchParams.get('error'), 'invalid_scope');
  });

  test('authorize: unknown clients and unregistered redirect URIs (open-redirect attempts) get an error page, never a redirect', async () => {
    await errorPage(authorizeUrl({ client_id: 'dyn-unknown' }));
    await errorPage(authorizeUrl({ client_id: undefined }));
    await errorPage(authorizeUrl({ redirect_uri: 'https://evil.example/callback' }));
    await errorPage(authorizeUrl({ redirect_uri: 'http://127.0.0.1:45999/callback/../../evil' }));
    await errorPage(authorizeUrl({ redirect_uri: 'http://127.0.0.1:45999/callback?next=https://evil.example' }));
    await errorPage(authorizeUrl({ redirect_uri: 'http://localhost.evil.example:45999/callback' }));
    await errorPage(authorizeUrl({ redirect_uri: 'http://127.0.0.2:45999/callback' }));
  });

  test('a loopback redirect accepts any port (RFC 8252 §7.3) and nothing else differs', async () => {
    const response = await browserStep(new CookieJar(), authorizeUrl({ redirect_uri: 'http://127.0.0.1:51234/callback' }));
    assert.equal(response.status, 200);
    assert.match(await response.text(), /Allow access\?/);
  });

  test('consent: a form without its CSRF token, or from another browser, changes nothing; the real one still works', async () => {
    const jar = new CookieJar();
    const page = await browserStep(jar, authorizeUrl({}));
    const fields = consentFields(await page.text());
    const forged = await browserStep(jar, `${issuer}/oauth/consent`, { flow: fields.flow, decision: 'allow' });
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.get('location'), null);
    const wrong = await browserStep(jar, `${issuer}/oauth/consent`, { flow: fields.flow, csrf: 'x'.repeat(43), decision: 'allow' });
    assert.equal(wrong.status, 403);
    const otherBrowser = await browserStep(new CookieJar(), `${issuer}/oauth/consent`, { ...fields, decision: 'allow' });
    assert.equal(otherBrowser.status, 400, 'the flow is bound to the browser that started it');
    const real = await browserStep(jar, `${issuer}/oauth/consent`, { ...fields, decision: 'allow' });
    assert.equal(real.status, 303, 'the refused attempts did not spend the flow');
    assert.ok(real.headers.get('location')!.startsWith(kit.issuer.issuer), 'on to the identity provider');
  });

  test('consent: deny sends access_denied back to the client, with iss', async () => {
    const jar = new CookieJar();
    const fields = consentFields(await (await browserStep(jar, authorizeUrl({}))).text());
    const denied = await browserStep(jar, `${issuer}/oauth/consent`, { ...fields, decision: 'deny' });
    const location = new URL(denied.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('iss'), issuer);
  });

  test('token: a wrong verifier, a reused code and a foreign code are invalid_grant; the code is single-use', async () => {
    const first = await freshCode();
    const wrongVerifier = await tokenRequest({ grant_type: 'authorization_code', code: first.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: pkcePair().verifier });
    assert.deepEqual([wrongVerifier.status, wrongVerifier.body.error], [400, 'invalid_grant']);
    const afterWrong = await tokenRequest({ grant_type: 'authorization_code', code: first.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: first.verifier });
    assert.equal(afterWrong.body.error, 'invalid_grant', 'a code tried with a wrong verifier is spent');

    const second = await freshCode();
    const redeemed = await tokenRequest({ grant_type: 'authorization_code', code: second.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: second.verifier });
    assert.equal(redeemed.status, 200);
    const reused = await tokenRequest({ grant_type: 'authorization_code', code: second.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: second.verifier });
    assert.deepEqual([reused.status, reused.body.error], [400, 'invalid_grant']);

    const other = (await register({ client_name: 'Other client', redirect_uris: [REDIRECT] })).body.client_id!;
    const third = await freshCode();
    const foreign = await tokenRequest({ grant_type: 'authorization_code', code: third.code, client_id: other, redirect_uri: REDIRECT, code_verifier: third.verifier });
    assert.deepEqual([foreign.status, foreign.body.error], [400, 'invalid_grant']);
  });

  test('token: missing PKCE, another resource, a mismatched redirect, credentials and unknown grants get their own errors', async () => {
    const grant = await freshCode();
    const base = { grant_type: 'authorization_code', code: grant.code, client_id: clientId, redirect_uri: REDIRECT };
    assert.equal((await tokenRequest(base)).body.error, 'invalid_request', 'no code_verifier');
    assert.equal((await tokenRequest({ ...base, code_verifier: grant.verifier, resource: 'https://other.example/mcp' })).body.error, 'invalid_target');
    const fresh = await freshCode();
    assert.equal((await tokenRequest({ ...base, code: fresh.code, code_verifier: fresh.verifier, redirect_uri: 'http://127.0.0.1:45999/other' })).body.error, 'invalid_grant');
    const basic = await tokenRequest({ ...base, code_verifier: grant.verifier }, { authorization: 'Basic eDp5' });
    assert.deepEqual([basic.status, basic.body.error], [401, 'invalid_client']);
    assert.equal((await tokenRequest({ grant_type: 'password', client_id: clientId })).body.error, 'unsupported_grant_type');
    assert.equal((await tokenRequest({ client_id: clientId })).body.error, 'invalid_request');
    assert.equal((await tokenRequest({ grant_type: 'authorization_code', code: 'x' })).body.error, 'invalid_client');
    assert.equal((await tokenRequest({ grant_type: 'authorization_code', client_id: 'dyn-unknown', code: 'x', code_verifier: grant.verifier })).body.error, 'invalid_client');
    const json = await fetch(`${issuer}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.deepEqual([json.status, ((await json.json()) as { error: string }).error], [400, 'invalid_request']);
  });

  test('refresh: rotated on use; a reused refresh token revokes its whole family', async () => {
    const grant = await freshCode();
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code: grant.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: grant.verifier });
    const first = tokens.body.refresh_token!;
    const rotated = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first, client_id: clientId });
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.refresh_token, first, 'a new refresh token on every use');
    const replay = await tokenRequest({ grant_type: 'refresh_token', refresh_token: first, client_id: clientId });
    assert.deepEqual([replay.status, replay.body.error], [400, 'invalid_grant']);
    const successor = await tokenRequest({ grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token!, client_id: clientId });
    assert.equal(successor.body.error, 'invalid_grant', 'the replay revoked the family, the newest token included');
    const foreign = await tokenRequest({ grant_type: 'refresh_token', refresh_token: 'not-a-token', client_id: clientId });
    assert.equal(foreign.body.error, 'invalid_grant');
  });

  test('revocation ends a refresh family (RFC 7009), and unknown tokens are not an error', async () => {
    const grant = await freshCode();
    const tokens = await tokenRequest({ grant_type: 'authorization_code', code: grant.code, client_id: clientId, redirect_uri: REDIRECT, code_verifier: grant.verifier });
    const revoked = await fetch(`${issuer}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: tokens.body.refresh_token!, client_id: clientId }) });
    assert.equal(revoked.status, 200);
    assert.equal((await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, client_id: clientId })).body.error, 'invalid_grant');
    const unknown = await fetch(`${issuer}/oauth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: 'whatever', client_id: clientId }) });
    assert.equal(unknown.status, 200);
  });

  test('the resource server refuses broker-signed tokens for another resource, of another issuer, or without at+jwt', async () => {
    const key = await importJWK(JSON.parse(kit.brokerSigningKey!) as JWK, 'ES256');
    const sign = (claims: Record<string, unknown>, typ = 'at+jwt') =>
      new SignJWT({ scope: 'mcp:identity.read', client_id: clientId, ...claims })
        .setProtectedHeader({ alg: 'ES256', typ })
        .setSubject('mallory')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(key);
    const good = await sign({ iss: issuer, aud: kit.resource });
    assert.equal((await post(kit.url, INITIALIZE, { authorization: `Bearer ${good}` })).status, 200, 'the control token is accepted');
    for (const token of [await sign({ iss: issuer, aud: 'https://other.example/mcp' }), await sign({ iss: 'https://evil.example', aud: kit.resource }), await sign({ iss: issuer, aud: kit.resource }, 'JWT')]) {
      const answer = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
      assert.equal(answer.status, 401);
      assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    }
  });

  test('registration: only bounded public-client metadata with safe redirect URIs', async () => {
    const cases: Array<[unknown, string]> = [
      [{ redirect_uris: [] }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://ok.example/cb'], token_endpoint_auth_method: 'client_secret_basic' }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://ok.example/cb'], grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://ok.example/cb#frag'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['https://user:pw@ok.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: Array.from({ length: 11 }, (_, index) => `https://ok.example/${index}`) }, 'invalid_client_metadata'],
      [{ redirect_uris: ['https://ok.example/cb'], client_name: 'x'.repeat(101) }, 'invalid_client_metadata'],
    ];
    for (const [metadata, error] of cases) {
      const answer = await register(metadata);
      assert.deepEqual([answer.status, answer.body.error], [400, error], JSON.stringify(metadata).slice(0, 80));
      assert.ok(!JSON.stringify(answer.body).includes('alert'), 'no echo of the input');
    }
    assert.equal((await register(undefined, '{not json')).body.error, 'invalid_client_metadata');
    assert.equal((await register(undefined, JSON.stringify({ redirect_uris: ['https://ok.example/cb'], padding: 'x'.repeat(9000) }))).body.error, 'invalid_client_metadata');
    const cursor = await register({ redirect_uris: ['cursor://anysphere.cursor-mcp/oauth/callback'], client_name: 'Cursor' });
    assert.equal(cursor.status, 201, 'native apps\' private-use schemes are fine');
  });

  test('registration is rate limited per address and can be switched off', async () => {
    const limited = await startKit({ broker: true, env: { MCP_BROKER_REGISTRATIONS_PER_MINUTE: '2' } });
    const off = await startKit({ broker: true, env: { MCP_BROKER_DCR: 'off' } });
    try {
      const at = (kitUnder: Kit) => `${new URL(kitUnder.url).origin}/oauth/register`;
      const body = JSON.stringify({ redirect_uris: [REDIRECT] });
      const statuses: number[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) statuses.push((await fetch(at(limited), { method: 'POST', headers: { 'content-type': 'application/json' }, body })).status);
      assert.deepEqual(statuses, [201, 201, 429]);
      const closed = await fetch(at(off), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(closed.status, 400);
      const metadata = (await (await fetch(`${new URL(off.url).origin}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
      assert.equal(metadata.registration_endpoint, undefined, 'not advertised when off');
    } finally {
      await limited.close();
      await off.close();
    }
  });
});
