import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DocumentServer } from '../src/authz/test-https.js';
import { startKit, type Kit } from './harness.js';
import { SwitchableRelay } from './relay.js';
import { browserStep, completeSignIn, consentFields, CookieJar, pkcePair } from './sign-in-flow.js';

const REDIRECT = 'http://127.0.0.1:45997/callback';

/**
 * What a client and its user see when a region fails mid-sign-in. Two instances on two stores that
 * do not replicate stand in for two regions just after a failover (the item written in one region
 * has not reached the other yet); a stopped store stands in for a region whose table is unreachable.
 */
describe('sign-in across a regional failure: a clear answer at every step, nothing half-made usable', () => {
  let kit: Kit;
  let regionA: string;
  let regionB: string;
  const documents = new DocumentServer();
  let documentUrl: string;
  before(async () => {
    await documents.start();
    documentUrl = documents.serve('/regions/client.json', { client_name: 'Region test client', redirect_uris: [REDIRECT], grant_types: ['authorization_code', 'refresh_token'] });
    kit = await startKit({ broker: true, instances: 2, isolatedStores: true, overrides: { metadataCa: documents.ca } });
    regionA = new URL(kit.apps[0]!.url).origin;
    regionB = new URL(kit.apps[1]!.url).origin;
  });
  after(async () => {
    await kit?.close();
    await documents.stop();
  });

  function authorizeUrl(origin: string, clientId: string, challenge: string, resource = kit.resource): string {
    const url = new URL(`${origin}/oauth/authorize`);
    url.search = new URLSearchParams({ response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 'r', resource }).toString();
    return url.href;
  }

  async function tokenAt(origin: string, form: Record<string, string>): Promise<{ status: number; body: { error?: string; refresh_token?: string } }> {
    const response = await fetch(`${origin}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return { status: response.status, body: (await response.json()) as { error?: string; refresh_token?: string } };
  }

  /** Consent and IdP login in region A; returns the IdP's redirect to the broker's callback, not yet followed. */
  async function untilCallback(jar: CookieJar, challenge: string): Promise<string> {
    const consent = await browserStep(jar, authorizeUrl(regionA, documentUrl, challenge));
    assert.equal(consent.status, 200);
    const allowed = await browserStep(jar, `${regionA}/oauth/consent`, { ...consentFields(await consent.text()), decision: 'allow' });
    // completeSignIn stops at the first URL under the broker's callback: the IdP's answer.
    return (await completeSignIn(jar, allowed.headers.get('location')!, `${regionA}/oauth/callback`)).href;
  }

  test('the IdP returns the browser to another region before the flow replicated: an "expired, start again" page, and the flow is not spent', async () => {
    const jar = new CookieJar();
    const callback = new URL(await untilCallback(jar, pkcePair().challenge));
    const elsewhere = await browserStep(jar, `${regionB}${callback.pathname}${callback.search}`);
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.headers.get('location'), null, 'never a redirect to the client with an error it cannot act on');
    assert.match(await elsewhere.text(), /This sign-in has expired, was already completed, or was started in another browser\. Start again from your application\./);
    const home = await browserStep(jar, callback.href);
    assert.equal(home.status, 303, 'region A still completes it: nothing was consumed by the failed step');
    assert.ok(new URL(home.headers.get('location')!).searchParams.get('code'));
  });

  test('a code or refresh token from the failed region is invalid_grant in the next one; a registration made there is unknown', async () => {
    const { verifier, challenge } = pkcePair();
    const jar = new CookieJar();
    const back = await completeSignIn(jar, authorizeUrl(regionA, documentUrl, challenge), REDIRECT);
    const code = back.searchParams.get('code')!;
    const redeem = { grant_type: 'authorization_code', code, client_id: documentUrl, redirect_uri: REDIRECT, code_verifier: verifier };
    const elsewhere = await tokenAt(regionB, redeem);
    assert.deepEqual([elsewhere.status, elsewhere.body.error], [400, 'invalid_grant'], 'the client starts a new authorization');
    const tokens = await tokenAt(regionA, redeem);
    assert.equal(tokens.status, 200, 'the code was not consumed by the failed redemption');
    const refresh = await tokenAt(regionB, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token!, client_id: documentUrl });
    assert.deepEqual([refresh.status, refresh.body.error], [400, 'invalid_grant'], 'the client signs in again');

    const registered = await fetch(`${regionA}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_name: 'Fresh', redirect_uris: [REDIRECT] }) });
    const clientId = ((await registered.json()) as { client_id: string }).client_id;
    const page = await browserStep(new CookieJar(), authorizeUrl(regionB, clientId, challenge));
    assert.equal(page.status, 400);
    assert.equal(page.headers.get('location'), null);
    assert.match(await page.text(), /not known to this server/);
    const unknown = await tokenAt(regionB, { grant_type: 'authorization_code', code: 'x', client_id: clientId, code_verifier: verifier });
    assert.deepEqual([unknown.status, unknown.body.error], [401, 'invalid_client'], 'the SDKs drop the registration on invalid_client and register again');
  });

  test('the region\u2019s table is unreachable: 503 "temporarily unavailable" pages and OAuth errors, never another 5xx or a redirect', async () => {
    let relay: SwitchableRelay | undefined;
    const down = await startKit({
      broker: true,
      overrides: { metadataCa: documents.ca },
      routeStore: async (endpoint) => {
        relay = new SwitchableRelay(Number(new URL(endpoint).port));
        return `http://127.0.0.1:${await relay.start()}`;
      },
    });
    try {
      const origin = new URL(down.url).origin;
      const jar = new CookieJar();
      const { verifier, challenge } = pkcePair();
      const back = await completeSignIn(jar, authorizeUrl(origin, documentUrl, challenge, down.resource), REDIRECT);
      assert.ok(back.searchParams.get('code'), 'signed in before the outage');
      relay!.down();

      const page = await browserStep(new CookieJar(), authorizeUrl(origin, documentUrl, challenge, down.resource));
      assert.equal(page.status, 503);
      assert.equal(page.headers.get('location'), null);
      assert.match(await page.text(), /Sign-in is temporarily unavailable\. Try again in a moment\./);
      const consents = await browserStep(new CookieJar(), `${origin}/oauth/consents`);
      assert.equal(consents.status, 503);
      const token = await tokenAt(origin, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, client_id: documentUrl, redirect_uri: REDIRECT, code_verifier: verifier });
      assert.deepEqual([token.status, token.body.error], [503, 'temporarily_unavailable']);
      const register = await fetch(`${origin}/oauth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ redirect_uris: [REDIRECT] }) });
      assert.deepEqual([register.status, ((await register.json()) as { error: string }).error], [503, 'temporarily_unavailable']);
      const metadata = await fetch(`${origin}/.well-known/oauth-authorization-server`);
      assert.equal(metadata.status, 200, 'discovery needs no store');

      relay!.up = true;
      const retried = await tokenAt(origin, { grant_type: 'authorization_code', code: back.searchParams.get('code')!, client_id: documentUrl, redirect_uri: REDIRECT, code_verifier: verifier });
      assert.equal(retried.status, 200, 'the store is back: the code the outage could not take still redeems');
    } finally {
      await relay?.close();
      await down.close();
    }
  });
});
