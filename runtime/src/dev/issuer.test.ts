import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requestDevToken, startDevIssuer } from './issuer.js';

describe('startDevIssuer', () => {
  test('starts without oidc-provider warnings and names the subject of every token it issues', async () => {
    const warnings: string[] = [];
    const original = console.warn;
    // Captures what oidc-provider prints through console.warn while the issuer starts and serves.
    console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
    const issuer = await startDevIssuer({ resources: ['http://127.0.0.1:1/mcp'], scopes: ['mcp:identity.read'] }).finally(() => {
      console.warn = original;
    });
    try {
      const subjects: string[] = [];
      issuer.onTokenIssued((subject) => subjects.push(subject));
      const { accessToken } = await requestDevToken(issuer, { sub: 'alice', scopes: ['mcp:identity.read'] });
      assert.match(accessToken, /^[\w-]+\.[\w-]+\.[\w-]+$/);
      await requestDevToken(issuer, { sub: 'bob', scopes: ['mcp:identity.read'] });
      assert.deepEqual(subjects, ['alice', 'bob']);
      assert.deepEqual(warnings.filter((line) => line.includes('oidc-provider')), []);
    } finally {
      await issuer.close();
    }
  });
});
