import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cognitoAuthorizationServerMetadata } from '../auth/metadata.js';
import { ConfigError, loadConfig } from './index.js';

const BASE = { MCP_PUBLIC_URL: 'https://mcp.example.com/mcp', MCP_OIDC_ISSUER: 'https://id.example.com', MCP_TLS_CERT_FILE: '/c', MCP_TLS_KEY_FILE: '/k' };

describe('runtime configuration', () => {
  test('defaults are safe: audience is the resource URL, access tokens only, keep-alive above 60 s', () => {
    const config = loadConfig(BASE);
    assert.equal(config.auth.profile, 'oidc');
    assert.equal(config.auth.profile === 'oidc' && config.auth.audience, 'https://mcp.example.com/mcp');
    assert.deepEqual(config.auth.profile === 'oidc' && config.auth.tokenTypes, ['at+jwt']);
    assert.ok(config.http.keepAliveSeconds > 60);
    assert.deepEqual(config.http.allowedHosts, ['mcp.example.com']);
  });

  for (const [variable, value, pattern] of [
    ['MCP_PUBLIC_URL', 'not a url', /MCP_PUBLIC_URL/],
    ['MCP_CLOCK_TOLERANCE_SECONDS', '600', /MCP_CLOCK_TOLERANCE_SECONDS .*"600"/],
    ['MCP_JWT_ALGORITHMS', 'none', /MCP_JWT_ALGORITHMS .*"none"/],
    ['MCP_KEEP_ALIVE_SECONDS', '30', /MCP_KEEP_ALIVE_SECONDS/],
  ] as const) {
    test(`fails naming ${variable} when it is ${value}`, () => {
      assert.throws(() => loadConfig({ ...BASE, [variable]: value }), (error: Error) => error instanceof ConfigError && pattern.test(error.message));
    });
  }

  test('the requestState keys: a list of base64 32-byte keys, newest first; a bad one is named, never shown', () => {
    const first = Buffer.alloc(32, 1).toString('base64');
    const second = Buffer.alloc(32, 2).toString('base64url');
    const config = loadConfig({ ...BASE, MCP_REQUEST_STATE_KEY: `${first}, ${second}`, MCP_REQUEST_STATE_TTL_SECONDS: '120' });
    assert.deepEqual(config.input.requestStateKeys.map((key) => Buffer.from(key).toString('base64')), [first, Buffer.alloc(32, 2).toString('base64')]);
    assert.equal(config.input.ttlSeconds, 120);
    assert.deepEqual(loadConfig(BASE).input.requestStateKeys, []);
    for (const bad of [`${first},not-a-key-secret-value`, Buffer.alloc(16, 3).toString('base64'), 'x'.repeat(2_000)]) {
      assert.throws(
        () => loadConfig({ ...BASE, MCP_REQUEST_STATE_KEY: bad }),
        (error: Error) => error instanceof ConfigError && /MCP_REQUEST_STATE_KEY/.test(error.message) && !error.message.includes(bad.split(',').at(-1)!.slice(0, 12)),
      );
    }
  });

  test('plain HTTP is refused off loopback', () => {
    assert.throws(() => loadConfig({ MCP_PUBLIC_URL: 'https://mcp.example.com/mcp', MCP_OIDC_ISSUER: 'https://id.example.com' }), /MCP_HOST/);
    assert.throws(() => loadConfig({ ...BASE, MCP_PUBLIC_URL: 'http://mcp.example.com/mcp' }), /MCP_PUBLIC_URL .*https/);
  });

  test('the Cognito profile derives the issuer and publishes RFC 8414 metadata with PKCE S256', () => {
    const config = loadConfig({
      ...BASE,
      MCP_AUTH_PROFILE: 'cognito',
      MCP_COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
      MCP_COGNITO_CLIENT_IDS: 'a,b',
      MCP_COGNITO_DOMAIN: 'https://kit.auth.eu-west-1.amazoncognito.com/',
      MCP_COGNITO_RESOURCE_SERVER_ID: 'mcp',
    });
    assert.equal(config.auth.issuer, 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123');
    assert.deepEqual(config.auth.authorizationServers, ['https://mcp.example.com']);
    const metadata = cognitoAuthorizationServerMetadata(config, ['mcp:identity.read'])!;
    assert.equal(metadata.issuer, 'https://mcp.example.com');
    assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
    assert.equal(metadata.authorization_endpoint, 'https://kit.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    assert.deepEqual(metadata.scopes_supported, ['openid', 'mcp/mcp:identity.read']);
  });

  test('the Cognito profile needs its pool, clients and domain', () => {
    assert.throws(() => loadConfig({ ...BASE, MCP_AUTH_PROFILE: 'cognito' }), /MCP_COGNITO_USER_POOL_ID/);
  });
});
