import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IdentifierHash } from '../observability/index.js';
import { SessionKeys } from './session-keys.js';

const ID = `${'A'.repeat(43)}01`;
const OTHER = `${'B'.repeat(43)}01`;

function counting(): { keys: SessionKeys; hashed: string[] } {
  const hashed: string[] = [];
  const keys = new SessionKeys((value) => {
    hashed.push(value);
    return `h-${value.slice(0, 4)}` as IdentifierHash;
  });
  return { keys, hashed };
}

describe('SessionKeys', () => {
  test('digests an id once per connection while the connection keeps naming it', () => {
    const { keys, hashed } = counting();
    const connection = {};
    const first = keys.of(ID, connection);
    const again = keys.of(ID, connection);
    assert.ok(first);
    assert.equal(again, first);
    assert.equal(first.key.id, ID);
    assert.equal(first.key.slot, 1);
    assert.equal(first.logHash, 'h-AAAA');
    assert.deepEqual(hashed, [ID]);
  });

  test('never answers for another id, on the same connection or another', () => {
    const { keys, hashed } = counting();
    const connection = {};
    keys.of(ID, connection);
    const other = keys.of(OTHER, connection);
    assert.equal(other?.key.id, OTHER);
    assert.equal(other?.logHash, 'h-BBBB');
    assert.equal(keys.of(ID, {})?.key.id, ID, 'another connection computes its own');
    assert.equal(keys.of(ID, undefined)?.key.id, ID, 'no connection: nothing remembered');
    assert.deepEqual(hashed, [ID, OTHER, ID, ID]);
  });

  test('refuses what is not shaped like a minted id, and hashes nothing for it', () => {
    const { keys, hashed } = counting();
    const connection = {};
    keys.of(ID, connection);
    for (const bad of ['', 'not-an-id', `${ID}x`, ID.slice(1), `${'A'.repeat(43)}0Z`, 'eyJhbGciOiJIUzI1NiJ9.e30.c2ln']) {
      assert.equal(keys.of(bad, connection), undefined, bad);
    }
    assert.deepEqual(hashed, [ID]);
    assert.equal(keys.of(ID, connection)?.key.id, ID, 'a refused id does not replace the remembered one');
    assert.deepEqual(hashed, [ID]);
  });
});
