import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTokenVerifier } from '../src/auth/index.js';
import { createKmsSigner, createSigningClient } from '../src/authz/index.js';
import { KmsFaultProxy, MOTO_CREDENTIALS, MotoKms, motoSkipReason } from '../src/authz/test-kms.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';
import { completeSignIn, CookieJar, pkcePair } from './sign-in-flow.js';

// Two instances as two regions of one deployment, each signing with its own region's replica of one
// KMS multi-Region key (moto_server on loopback), behind one issuer and one session table.
const REGIONS = ['us-east-1', 'eu-west-1'] as const;
const REDIRECT = 'http://127.0.0.1:45998/callback';

interface TokenAnswer {
  status: number;
  cacheControl: string | null;
  text: string;
  body: { error?: string; error_description?: string; access_token?: string; refresh_token?: string };
}

describe('broker tokens signed in KMS: every region verifies every region\'s tokens', { skip: motoSkipReason() }, () => {
  let moto: MotoKms;
  let proxy: KmsFaultProxy;
  let kit: Kit;
  let issuer: string;
  let clientId: string;
  /** The origin of each instance ("region"). */
  let origins: string[];
  let arns: Record<string, string>;

  before(async () => {
    moto = await MotoKms.start();
    proxy = await new KmsFaultProxy(moto.endpoint).start();
    arns = await moto.multiRegionKey(REGIONS[0], [REGIONS[1]], 'alias/mcp-token-signing');
    kit = await startKit({
      broker: true,
      instances: 2,
      // The primary region names its key by ARN, the other by its alias: both forms resolve.
      instanceEnv: (index) => ({
        AWS_REGION: REGIONS[index]!,
        MCP_BROKER_SIGNING_KEY: '',
        MCP_BROKER_SIGNING_KEY_ID: index === 0 ? arns[REGIONS[0]]! : 'alias/mcp-token-signing',
      }),
      overrides: { signingClient: { endpoint: proxy.endpoint, credentials: MOTO_CREDENTIALS } },
    });
    issuer = new URL(kit.url).origin;
    origins = kit.apps.map((app) => new URL(app.url).origin);
    const registered = await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'KMS signing test', redirect_uris: [REDIRECT] }),
    });
    clientId = ((await registered.json()) as { client_id: string }).client_id;
  });
  after(async () => {
    await kit?.close();
    await proxy?.stop();
    moto?.stop();
  });

  async function tokenRequest(origin: string, form: Record<string, string>): Promise<TokenAnswer> {
    const response = await fetch(`${origin}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: clientId, ...form }).toString(),
    });
    const text = await response.text();
    return { status: response.status, cacheControl: response.headers.get('cache-control'), text, body: JSON.parse(text) as TokenAnswer['body'] };
  }

  async function freshCode(): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkcePair();
    const url = new URL(`${issuer}/oauth/authorize`);
    const params = { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's', resource: kit.resource };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    const back = await completeSignIn(new CookieJar(), url.href, REDIRECT);
    return { code: back.searchParams.get('code')!, verifier };
  }

  async function whoami(origin: string, token: string): Promise<string> {
    const headers = { authorization: `Bearer ${token}` };
    const init = await post(`${origin}/mcp`, INITIALIZE, headers);
    assert.equal(init.status, 200, `initialize at ${origin}`);
    const call = await post(`${origin}/mcp`, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, {
      ...headers,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-11-25',
    });
    assert.equal(call.status, 200);
    return call.text;
  }

  function assertUnavailable(answer: TokenAnswer): void {
    assert.equal(answer.status, 503);
    assert.equal(answer.cacheControl, 'no-store');
    assert.deepEqual(answer.body, { error: 'temporarily_unavailable', error_description: 'sign-in is temporarily unavailable; try again' });
    assert.doesNotMatch(answer.text, /ThrottlingException|ECONNREFUSED|\bat \S+:\d+/, 'no cause and no stack reach the client');
  }

  test('both regions serve the same JWKS; a token signed in one region is accepted by the other and verifies against either served JWKS', async () => {
    const jwks = await Promise.all(origins.map(async (origin) => (await (await fetch(`${origin}/oauth/jwks`)).json()) as { keys: { kid: string; d?: string }[] }));
    assert.equal(jwks[0]!.keys.length, 1);
    assert.deepEqual(jwks[1], jwks[0], 'one key material, one kid, in every region');
    assert.equal(jwks[0]!.keys[0]!.d, undefined, 'no private part');

    const grant = await freshCode();
    const issued = await tokenRequest(origins[1]!, { grant_type: 'authorization_code', code: grant.code, redirect_uri: REDIRECT, code_verifier: grant.verifier });
    assert.equal(issued.status, 200, issued.text);
    assert.match(await whoami(origins[0]!, issued.body.access_token!), /"subject":"alice"/, 'signed in eu-west-1, accepted in us-east-1');

    const refreshed = await tokenRequest(origins[0]!, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.match(await whoami(origins[1]!, refreshed.body.access_token!), /"subject":"alice"/, 'signed in us-east-1, accepted in eu-west-1');

    for (const [index, origin] of origins.entries()) {
      // The kit's own resource-server verifier, fetching the JWKS the other region serves.
      const verifier = createTokenVerifier({
        profile: 'oidc',
        issuer,
        jwksUrl: `${origin}/oauth/jwks`,
        audience: kit.resource,
        tokenTypes: ['at+jwt'],
        algorithms: ['ES256'],
        clockToleranceSeconds: 5,
        jwks: kit.config.auth.jwks,
        authorizationServers: [issuer],
      });
      const token = index === 0 ? issued.body.access_token! : refreshed.body.access_token!;
      const principal = await verifier.verify(token);
      assert.equal(principal.subject, 'alice');
      assert.equal(principal.clientId, clientId);
    }
  });

  test('KMS throttled: the token endpoint answers temporarily_unavailable (503); the code and the refresh token are not consumed', async () => {
    const grant = await freshCode();
    const redeem = { grant_type: 'authorization_code', code: grant.code, redirect_uri: REDIRECT, code_verifier: grant.verifier };
    proxy.throttleSign = true;
    try {
      assertUnavailable(await tokenRequest(origins[0]!, redeem));
    } finally {
      proxy.throttleSign = false;
    }
    assert.ok(proxy.throttled > 0, 'KMS Sign was throttled');
    const issued = await tokenRequest(origins[1]!, redeem);
    assert.equal(issued.status, 200, 'the same code redeems once KMS answers');
    assert.equal((await tokenRequest(origins[0]!, redeem)).body.error, 'invalid_grant', 'and only once');

    const refresh = { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token! };
    proxy.throttleSign = true;
    try {
      assertUnavailable(await tokenRequest(origins[1]!, refresh));
    } finally {
      proxy.throttleSign = false;
    }
    const rotated = await tokenRequest(origins[0]!, refresh);
    assert.equal(rotated.status, 200, 'the refresh token still works: it was not marked used, its family not revoked');
    assert.match(await whoami(origins[1]!, rotated.body.access_token!), /"subject":"alice"/);
    assert.equal((await tokenRequest(origins[0]!, { grant_type: 'refresh_token', refresh_token: rotated.body.refresh_token! })).status, 200, 'the family lives on');
    assert.ok(
      kit.logs.some((line) => line.includes('sign-in refused') && line.includes('ThrottlingException')),
      'the operator sees the cause in the log',
    );
  });

  test('a token that KMS signed but that claims a far expiry is refused once it is older than the access-token lifetime', async () => {
    // What a compromised task could mint with the task role: the key's own signature, any claims.
    const kms = createSigningClient({ region: REGIONS[0], endpoint: moto.endpoint, credentials: MOTO_CREDENTIALS });
    try {
      const signer = await createKmsSigner({ client: kms, keyId: arns[REGIONS[0]]! });
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: issuer, aud: kit.resource, sub: 'mallory', client_id: clientId, scope: 'mcp:identity.read', groups: [] };
      const control = await signer.sign({ ...claims, iat: now, exp: now + 600 });
      assert.match(await whoami(origins[1]!, control), /"subject":"mallory"/, 'the control token is accepted');
      const tokens = {
        'issued an hour ago, valid for a year': await signer.sign({ ...claims, iat: now - 3600, exp: now + 365 * 86_400 }),
        'issued in the future': await signer.sign({ ...claims, iat: now + 3600, exp: now + 7200 }),
        'no iat': await signer.sign({ ...claims, exp: now + 600 }),
      };
      for (const [name, token] of Object.entries(tokens)) {
        const answer = await post(`${origins[0]}/mcp`, INITIALIZE, { authorization: `Bearer ${token}` });
        assert.equal(answer.status, 401, name);
      }
    } finally {
      kms.destroy();
    }
  });
});
