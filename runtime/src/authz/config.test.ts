import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BrokerConfigError, loadBrokerConfig } from './config.js';

const URL_ = new URL('https://mcp.example.com/mcp');
const BASE = {
  MCP_BROKER: 'on',
  MCP_BROKER_UPSTREAM_ISSUER: 'https://idp.example.com',
  MCP_BROKER_UPSTREAM_CLIENT_ID: 'broker',
  MCP_BROKER_UPSTREAM_CLIENT_SECRET: 'secret',
};
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab';

describe('broker signing key configuration', () => {
  test('MCP_BROKER_SIGNING_KEY_ID selects the KMS signer, with the verify-only keys of a rotation', () => {
    const config = loadBrokerConfig({ ...BASE, MCP_BROKER_SIGNING_KEY_ID: 'alias/mcp-token-signing', MCP_BROKER_VERIFY_KEY_IDS: `${KEY_ARN}, alias/old` }, URL_);
    assert.deepEqual(config?.signingKey, { kind: 'kms', keyId: 'alias/mcp-token-signing', verifyKeyIds: [KEY_ARN, 'alias/old'] });
    const local = loadBrokerConfig({ ...BASE, MCP_BROKER_SIGNING_KEY: '{"kty":"EC"}' }, URL_);
    assert.deepEqual(local?.signingKey, { kind: 'local', jwk: '{"kty":"EC"}' });
  });

  test('exactly one signing key: none, both, or verify keys without a KMS key are refused, naming the variables', () => {
    const refused = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(() => loadBrokerConfig({ ...BASE, ...env }, URL_), (error: unknown) => error instanceof BrokerConfigError && pattern.test(error.message));
    refused({}, /MCP_BROKER_SIGNING_KEY_ID or MCP_BROKER_SIGNING_KEY is required/);
    refused({ MCP_BROKER_SIGNING_KEY: '{}', MCP_BROKER_SIGNING_KEY_ID: KEY_ARN }, /must not both be set/);
    refused({ MCP_BROKER_SIGNING_KEY: '{}', MCP_BROKER_VERIFY_KEY_IDS: KEY_ARN }, /MCP_BROKER_VERIFY_KEY_IDS needs MCP_BROKER_SIGNING_KEY_ID/);
    refused({ MCP_BROKER_SIGNING_KEY_ID: KEY_ARN, MCP_BROKER_VERIFY_KEY_IDS: 'a,b,c,d,e' }, /MCP_BROKER_VERIFY_KEY_IDS is invalid/);
  });
});
