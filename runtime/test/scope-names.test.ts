import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

// The Cognito profile with the broker off: clients ask Cognito itself for the scopes the server names,
// and Cognito knows resource-server scopes only as `<identifier>/<scope>`.
const COGNITO = {
  MCP_AUTH_PROFILE: 'cognito',
  MCP_COGNITO_USER_POOL_ID: 'eu-west-1_AbCdEf123',
  MCP_COGNITO_CLIENT_IDS: 'interactive,smoke-test',
  MCP_COGNITO_DOMAIN: 'https://kit.auth.eu-west-1.amazoncognito.com',
  MCP_COGNITO_RESOURCE_SERVER_ID: 'mcp',
};

function scopesOf(challenge: string | null): string[] {
  return (/scope="([^"]*)"/.exec(challenge ?? '')?.[1] ?? '').split(' ').filter((scope) => scope.length > 0).sort();
}

describe('scope names with the Cognito profile and no broker', () => {
  let kit: Kit;
  let origin: string;
  before(async () => {
    kit = await startKit({ env: COGNITO });
    origin = new URL(kit.url).origin;
  });
  after(async () => {
    await kit.close();
  });

  test('the 401 challenge, the protected-resource metadata and the authorization-server metadata name the same scopes, as Cognito spells them', async () => {
    // WHEN a client without a token calls, then reads both metadata documents
    const response = await post(kit.url, INITIALIZE);
    const challenged = scopesOf(response.headers.get('www-authenticate'));
    const prm = (await (await fetch(`${origin}/.well-known/oauth-protected-resource/mcp`)).json()) as { scopes_supported: string[]; authorization_servers: string[] };
    const as = (await (await fetch(`${origin}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[]; authorization_endpoint: string };
    // THEN
    assert.equal(response.status, 401);
    assert.ok(challenged.includes('mcp/mcp:identity.read'), `challenge names ${challenged.join(' ')}`);
    assert.ok(challenged.every((scope) => scope.startsWith('mcp/')), 'every challenged scope is a resource-server scope of the pool');
    assert.deepEqual([...prm.scopes_supported].sort(), challenged);
    assert.deepEqual(as.scopes_supported.filter((scope) => scope !== 'openid').sort(), challenged);
    assert.equal(as.authorization_endpoint, 'https://kit.auth.eu-west-1.amazoncognito.com/oauth2/authorize');
    assert.deepEqual(prm.authorization_servers, [origin]);
  });

  test('a refused token gets the same names in its challenge', async () => {
    const response = await post(kit.url, INITIALIZE, { authorization: 'Bearer not-a-token' });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.ok(scopesOf(response.headers.get('www-authenticate')).every((scope) => scope.startsWith('mcp/')));
  });
});
