import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTVerifyGetKey } from 'jose';
import { loadConfig, type AuthConfig } from '../config/index.js';
import { AuthenticationError, bearerToken, createTokenVerifier, verifierByIssuer, type TokenVerifier } from './verifier.js';

/** A JWKS endpoint on loopback whose key set a test can change, counting fetches. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  hang = false;
  private server: Server = createServer((_req, res) => {
    this.fetches += 1;
    if (this.hang) return;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: this.keys }));
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks`;
  }
  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function keyPair(kid: string): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';

function cognitoConfig(jwksUrl: string, overrides: Record<string, string> = {}): AuthConfig {
  const config = loadConfig({
    MCP_HOST: '127.0.0.1',
    MCP_PUBLIC_URL: 'https://mcp.example.com/mcp',
    MCP_AUTH_PROFILE: 'cognito',
    MCP_COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
    MCP_COGNITO_CLIENT_IDS: 'client-a,client-b',
    MCP_COGNITO_DOMAIN: 'https://mcp-kit.auth.eu-west-1.amazoncognito.com',
    MCP_COGNITO_RESOURCE_SERVER_ID: 'mcp',
    MCP_JWKS_TIMEOUT_MS: '500',
    MCP_JWKS_COOLDOWN_SECONDS: '30',
    ...overrides,
  });
  return { ...config.auth, jwksUrl } as AuthConfig;
}

describe('token verifier', () => {
  const jwks = new JwksServer();
  let current: { privateKey: CryptoKey; jwk: JWK };
  before(async () => {
    await jwks.start();
    current = await keyPair('k1');
    jwks.keys = [current.jwk];
  });
  after(async () => {
    await jwks.stop();
  });

  /** The test JWKS as a key source that counts its lookups (one per token whose signature is checked). */
  const countedKeys = (): { keys: JWTVerifyGetKey; lookups: () => number } => {
    const remote = createRemoteJWKSet(new URL(jwks.url));
    let count = 0;
    return {
      keys: (header, token) => {
        count += 1;
        return remote(header, token);
      },
      lookups: () => count,
    };
  };

  const cognitoAccess = (claims: Record<string, unknown> = {}, key = current) =>
    new SignJWT({ token_use: 'access', client_id: 'client-a', scope: 'mcp/mcp:identity.read other/thing', 'cognito:groups': ['staff'], ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: key.jwk.kid! })
      .setIssuer(ISSUER)
      .setSubject('user-1')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key.privateKey);

  test('Cognito: an access token of an allowed client gives a principal with this resource server scopes only', async () => {
    const verifier = createTokenVerifier(cognitoConfig(jwks.url));
    const principal = await verifier.verify(await cognitoAccess());
    assert.equal(principal.subject, 'user-1');
    assert.equal(principal.clientId, 'client-a');
    assert.deepEqual(principal.scopes, ['mcp:identity.read']);
    assert.deepEqual(principal.groups, ['staff']);
  });

  test('Cognito: ID tokens and tokens of other app clients are refused', async () => {
    const verifier = createTokenVerifier(cognitoConfig(jwks.url));
    await assert.rejects(verifier.verify(await cognitoAccess({ token_use: 'id' })), (error: AuthenticationError) => error.reason === 'token_type');
    await assert.rejects(verifier.verify(await cognitoAccess({ client_id: 'client-z' })), (error: AuthenticationError) => error.reason === 'client');
  });

  test('an unknown kid triggers at most one JWKS refetch per cooldown', async () => {
    const verifier = createTokenVerifier(cognitoConfig(jwks.url));
    await verifier.verify(await cognitoAccess());
    const before = jwks.fetches;
    const stranger = await keyPair('unknown');
    for (let attempt = 0; attempt < 5; attempt += 1) {
      await assert.rejects(verifier.verify(await cognitoAccess({ jti: String(attempt) }, stranger)), AuthenticationError);
    }
    assert.ok(jwks.fetches - before <= 1, `refetched ${jwks.fetches - before} times`);
  });

  test('key rotation needs no restart: a token signed with a newly published key is accepted', async () => {
    const verifier = createTokenVerifier(cognitoConfig(jwks.url, { MCP_JWKS_COOLDOWN_SECONDS: '1' }));
    await verifier.verify(await cognitoAccess());
    const rotated = await keyPair('k2');
    jwks.keys = [rotated.jwk, current.jwk];
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const principal = await verifier.verify(await cognitoAccess({}, rotated));
    assert.equal(principal.subject, 'user-1');
  });

  test('an unreachable JWKS fails closed within a few seconds', async () => {
    jwks.hang = true;
    try {
      const verifier = createTokenVerifier(cognitoConfig(jwks.url));
      const started = Date.now();
      await assert.rejects(verifier.verify(await cognitoAccess()), (error: AuthenticationError) => error.reason === 'keys_unavailable');
      assert.ok(Date.now() - started < 5000);
    } finally {
      jwks.hang = false;
    }
  });

  test('verified tokens are remembered by hash, boundedly, and not past their expiry', async () => {
    let now = Date.now();
    const { keys, lookups } = countedKeys();
    const verifier = createTokenVerifier(cognitoConfig(jwks.url), { keys, cacheEntries: 2, now: () => now });
    const tokens = [await cognitoAccess({ jti: 'a' }), await cognitoAccess({ jti: 'b' }), await cognitoAccess({ jti: 'c' })];
    for (const token of tokens) await verifier.verify(token);
    assert.equal(lookups(), 3);
    await verifier.verify(tokens[2]!);
    await verifier.verify(tokens[1]!);
    assert.equal(lookups(), 3, 'the two newest are served from the cache');
    await verifier.verify(tokens[0]!);
    assert.equal(lookups(), 4, 'the oldest was evicted: the cache holds two');
    now += 10 * 60 * 1000;
    await assert.rejects(verifier.verify(tokens[0]!), (error: AuthenticationError) => error.reason === 'expired', 'not served past its expiry');
  });

  test('a connection that presents the same token again is served its principal until the cache entry ends, and no longer', async () => {
    let now = Date.now();
    const { keys, lookups } = countedKeys();
    const verifier = createTokenVerifier(cognitoConfig(jwks.url), { keys, cacheSeconds: 60, now: () => now });
    const connection = {};
    const token = await cognitoAccess({ jti: 'conn' });
    const first = await verifier.verify(token, connection);
    assert.equal(await verifier.verify(token, connection), first, 'the same principal, from the connection');
    assert.equal(lookups(), 1);
    // A token that differs (tampered signature) on the same connection is checked in full and refused.
    const tampered = `${token.slice(0, -4)}${token.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
    await assert.rejects(verifier.verify(tampered, connection), (error: AuthenticationError) => error.reason === 'signature');
    assert.equal(lookups(), 2, 'the tampered token went through signature verification');
    // Past the cache age (60 s) the token is verified again, keys included.
    now += 61_000;
    await verifier.verify(token, connection);
    assert.equal(lookups(), 3, 'verified afresh once the cache entry ended');
    await verifier.verify(token, connection);
    assert.equal(lookups(), 3);
    // Past its expiry (5 min) it is refused, whichever connection presents it.
    now += 5 * 60 * 1000;
    await assert.rejects(verifier.verify(token, connection), (error: AuthenticationError) => error.reason === 'expired');
    await assert.rejects(verifier.verify(token, {}), (error: AuthenticationError) => error.reason === 'expired');
  });

  test('by issuer: each token of a connection goes to the verifier of the issuer it names, every time', async () => {
    const calls: string[] = [];
    const counted = (name: string, inner: TokenVerifier): TokenVerifier => ({
      verify(token, connection) {
        calls.push(name);
        return inner.verify(token, connection);
      },
    });
    const other = await keyPair('k-other');
    const otherIssuer = 'https://issuer.example.com';
    const otherVerifier = createTokenVerifier(
      { ...cognitoConfig(jwks.url), profile: 'oidc', issuer: otherIssuer, audience: 'https://mcp.example.com/mcp', tokenTypes: [] } as AuthConfig,
      { keys: () => importJWK(other.jwk, 'RS256') },
    );
    const verifier = verifierByIssuer(new Map([[otherIssuer, counted('other', otherVerifier)]]), counted('cognito', createTokenVerifier(cognitoConfig(jwks.url))));
    const otherToken = await new SignJWT({ scope: 'mcp:identity.read' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k-other' })
      .setIssuer(otherIssuer)
      .setAudience('https://mcp.example.com/mcp')
      .setSubject('user-2')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(other.privateKey);
    const cognitoToken = await cognitoAccess();
    const connection = {};
    assert.equal((await verifier.verify(otherToken, connection)).subject, 'user-2');
    assert.equal((await verifier.verify(otherToken, connection)).subject, 'user-2');
    assert.equal((await verifier.verify(cognitoToken, connection)).subject, 'user-1');
    assert.equal((await verifier.verify(otherToken, connection)).subject, 'user-2');
    assert.deepEqual(calls, ['other', 'other', 'cognito', 'other']);
    // A token naming the other issuer but signed by the Cognito key is refused by the other issuer's verifier.
    const forged = await new SignJWT({ scope: 'mcp:identity.read' })
      .setProtectedHeader({ alg: 'RS256', kid: current.jwk.kid! })
      .setIssuer(otherIssuer)
      .setAudience('https://mcp.example.com/mcp')
      .setSubject('user-3')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(current.privateKey);
    await assert.rejects(verifier.verify(forged, connection), (error: AuthenticationError) => error.reason === 'signature');
    assert.equal(calls.at(-1), 'other');
  });

  test('bearerToken reads one Bearer credential and nothing else', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer abc'), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
