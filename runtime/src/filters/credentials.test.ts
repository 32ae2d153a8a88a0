import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CREDENTIAL_VALUE_KINDS, FilterLimitError, MAX_FILTER_DEPTH, findCredentialValue } from './index.js';

const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const JWT = ['eyJhbGciOiJSUzI1NiJ9', 'eyJzdWIiOiJ1c2VyLTEyMyJ9', 'c2lnbmF0dXJl'].join('.');

describe('findCredentialValue', () => {
  test('finds credentials in nested objects and arrays and names their kind', () => {
    assert.equal(findCredentialValue({ query: 'weather', filters: [{ note: `use ${JWT}` }] }), 'jwt');
    assert.equal(findCredentialValue(['a', ['b', [`key ${AWS_KEY_ID}`]]]), 'aws-access-key');
    assert.equal(findCredentialValue('-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n'), 'pem-private-key');
    assert.equal(findCredentialValue({ token: 'ghp_' + 'a'.repeat(36) }), 'github-token');
    assert.equal(findCredentialValue({ url: 'postgres://u:pw12345@db.example.com/app' }), 'connection-string');
    assert.equal(findCredentialValue({ header: 'Authorization: Bearer abcd1234efgh5678' }), 'authorization-header');
  });

  test('looks at object keys too', () => {
    assert.equal(findCredentialValue({ [AWS_KEY_ID]: true }), 'aws-access-key');
  });

  test('returns only the kind, never any part of the value', () => {
    const kind = findCredentialValue({ note: `key ${AWS_KEY_ID}` });
    assert.ok(kind !== undefined && CREDENTIAL_VALUE_KINDS.includes(kind));
    assert.equal(kind.includes('AKIA'), false);
  });

  test('accepts ordinary arguments, personal data and prose about passwords', () => {
    for (const value of [
      { query: 'quarterly revenue 2024', limit: 10, exact: false },
      { note: 'Call Jane at +44 20 7946 0958 or jane@example.com' },
      { note: 'The password must be at least 12 characters long.' },
      { ids: ['550e8400-e29b-41d4-a716-446655440000'], at: '2024-03-15T10:22:33Z' },
      null,
      42,
    ]) {
      assert.equal(findCredentialValue(value), undefined, JSON.stringify(value));
    }
  });

  test('refuses values nested deeper than the limit', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < MAX_FILTER_DEPTH + 1; i++) deep = [deep];
    assert.throws(() => findCredentialValue(deep), FilterLimitError);
  });
});
