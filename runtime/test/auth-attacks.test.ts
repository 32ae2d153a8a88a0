import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, importJWK, SignJWT } from 'jose';
import { requestDevToken, startDevIssuer, type DevIssuer } from '../src/dev/issuer.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('authentication attack matrix', () => {
  let kit: Kit;
  let foreignIssuer: DevIssuer;
  let jkuServer: Server;
  let valid: string;
  const claims = () => ({ scope: 'mcp:identity.read', client_id: 'mcp-dev-cli', sub: 'mallory' });

  before(async () => {
    kit = await startKit({ env: { MCP_CLOCK_TOLERANCE_SECONDS: '0' } });
    foreignIssuer = await startDevIssuer({ resources: [kit.resource], scopes: ['mcp:identity.read'] });
    valid = await kit.token({ sub: 'alice' });
    jkuServer = createServer();
    await new Promise<void>((resolve) => jkuServer.listen(0, '127.0.0.1', () => resolve()));
  });
  after(async () => {
    await foreignIssuer.close();
    await new Promise((resolve) => jkuServer.close(resolve));
    await kit.close();
  });

  async function issuerSigned(payload: Record<string, unknown>, header: Record<string, unknown> = {}): Promise<string> {
    const key = await importJWK(kit.issuer.signingKey as Parameters<typeof importJWK>[0], 'ES256');
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: kit.issuer.signingKey.kid as string, ...header })
      .sign(key);
  }

  const now = () => Math.floor(Date.now() / 1000);

  const attacks: Array<[string, () => Promise<Record<string, string>>]> = [
    ['no token', async () => ({})],
    ['garbage', async () => ({ authorization: 'Bearer not-a-token' })],
    ['a Basic credential', async () => ({ authorization: 'Basic YWxpY2U6c2VjcmV0' })],
    [
      'alg none',
      async () => {
        const [, payload] = valid.split('.');
        return { authorization: `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.` };
      },
    ],
    [
      'alg none with a signature segment',
      async () => {
        const [, payload] = valid.split('.');
        return { authorization: `Bearer ${b64({ alg: 'none', typ: 'at+jwt' })}.${payload}.AAAA` };
      },
    ],
    [
      'HS256 signed with the issuer public key',
      async () => {
        const jwks = (await (await fetch(kit.issuer.jwksUri)).json()) as { keys: object[] };
        const secret = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
        const token = await new SignJWT({ ...claims(), aud: kit.resource })
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
          .setIssuer(kit.issuer.issuer)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(secret);
        return { authorization: `Bearer ${token}` };
      },
    ],
    [
      'a key not in the JWKS',
      async () => {
        const { privateKey } = await generateKeyPair('ES256');
        const token = await new SignJWT({ ...claims(), aud: kit.resource })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'not-published' })
          .setIssuer(kit.issuer.issuer)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        return { authorization: `Bearer ${token}` };
      },
    ],
    [
      'an embedded jwk header',
      async () => {
        const { privateKey, publicKey } = await generateKeyPair('ES256');
        const token = await new SignJWT({ ...claims(), aud: kit.resource })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', jwk: await exportJWK(publicKey) })
          .setIssuer(kit.issuer.issuer)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        return { authorization: `Bearer ${token}` };
      },
    ],
    [
      'a jku header pointing at an attacker JWKS',
      async () => {
        const { privateKey, publicKey } = await generateKeyPair('ES256');
        const jwk = { ...(await exportJWK(publicKey)), kid: 'attacker', alg: 'ES256', use: 'sig' };
        jkuServer.removeAllListeners('request');
        jkuServer.on('request', (_req, res) => res.end(JSON.stringify({ keys: [jwk] })));
        const jku = `http://127.0.0.1:${(jkuServer.address() as AddressInfo).port}/jwks`;
        const token = await new SignJWT({ ...claims(), aud: kit.resource })
          .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'attacker', jku })
          .setIssuer(kit.issuer.issuer)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey);
        return { authorization: `Bearer ${token}` };
      },
    ],
    [
      'a tampered payload',
      async () => {
        const [header, payload, signature] = valid.split('.');
        const claimsOf = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
        return { authorization: `Bearer ${header}.${b64({ ...claimsOf, sub: 'admin' })}.${signature}` };
      },
    ],
    [
      'a wrong issuer',
      async () => ({ authorization: `Bearer ${(await requestDevToken(foreignIssuer, { sub: 'alice', scopes: ['mcp:identity.read'], resource: kit.resource })).accessToken}` }),
    ],
    ['a wrong audience', async () => ({ authorization: `Bearer ${await kit.token({ resource: 'https://other.example.com/mcp' })}` })],
    [
      'an expired token',
      async () => ({ authorization: `Bearer ${await issuerSigned({ ...claims(), iss: kit.issuer.issuer, aud: kit.resource, iat: now() - 120, exp: now() - 60 })}` }),
    ],
    [
      'nbf in the future',
      async () => ({ authorization: `Bearer ${await issuerSigned({ ...claims(), iss: kit.issuer.issuer, aud: kit.resource, iat: now(), nbf: now() + 600, exp: now() + 900 })}` }),
    ],
    ['no exp', async () => ({ authorization: `Bearer ${await issuerSigned({ ...claims(), iss: kit.issuer.issuer, aud: kit.resource, iat: now() })}` })],
    [
      'an ID token used as an access token',
      async () => {
        const { idToken } = await requestDevToken(kit.issuer, { sub: 'alice', scopes: ['mcp:identity.read'], resource: kit.resource, withIdToken: true });
        assert.ok(idToken, 'the issuer returned an ID token');
        return { authorization: `Bearer ${idToken}` };
      },
    ],
    [
      'an ID-token-shaped token (typ JWT) signed by the issuer for the resource',
      async () => ({ authorization: `Bearer ${await issuerSigned({ ...claims(), iss: kit.issuer.issuer, aud: kit.resource, iat: now(), exp: now() + 300 }, { typ: 'JWT' })}` }),
    ],
    ['a 64 KiB token', async () => ({ authorization: `Bearer ${'a'.repeat(32 * 1024)}.${'b'.repeat(32 * 1024)}.c` })],
  ];

  let firstBody: string | undefined;
  for (const [name, headers] of attacks) {
    test(`${name} is answered 401 with no detail of why`, async () => {
      const response = await post(kit.url, INITIALIZE, await headers());
      assert.equal(response.status, 401);
      const challenge = response.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer /);
      assert.match(challenge, /resource_metadata="http:\/\/127\.0\.0\.1:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);
      assert.match(challenge, /scope="[^"]*mcp:identity\.read[^"]*"/);
      const presented = name !== 'no token' && name !== 'a Basic credential';
      assert.equal(challenge.includes('error="invalid_token"'), presented);
      assert.doesNotMatch(challenge, /error_description/);
      firstBody ??= response.text;
      assert.equal(response.text, firstBody, 'every refusal has the same body');
    });
  }

  test('a token in the query string is not read', async () => {
    const response = await post(`${kit.url}?access_token=${valid}`, INITIALIZE);
    assert.equal(response.status, 401);
  });

  test('a valid token with none of the server scopes gets 403 insufficient_scope naming the scopes', async () => {
    const token = await kit.token({ scopes: [] });
    const response = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    assert.equal(response.status, 403);
    const challenge = response.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /error="insufficient_scope"/);
    assert.match(challenge, /scope="[^"]*mcp:notes\.read/);
  });

  test('the valid token is accepted (the matrix is not refusing everything)', async () => {
    const response = await post(kit.url, INITIALIZE, { authorization: `Bearer ${valid}` });
    assert.equal(response.status, 200);
  });

  test('no log line holds a token or any part of its signature', async () => {
    const signatures = [valid.split('.')[2]!];
    for (const line of kit.logs) {
      assert.ok(!line.includes(valid), 'a whole token was logged');
      for (const signature of signatures) assert.ok(!line.includes(signature.slice(0, 16)), 'part of a signature was logged');
    }
    assert.ok(kit.logs.length > 0, 'the server logged its requests');
  });
});
