import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedTtlCache } from './record-cache.js';
import { ManualClock } from './test-support.js';

describe('BoundedTtlCache', () => {
  test('never holds more than its limit and drops the least recently used first', () => {
    const cache = new BoundedTtlCache<number>(3, 60_000);
    for (let i = 0; i < 1000; i += 1) {
      cache.set(`k${i}`, i);
      assert.ok(cache.size <= 3);
    }
    cache.get('k997');
    cache.set('new', -1);
    assert.equal(cache.get('k998'), undefined, 'least recently used went first');
    assert.equal(cache.get('k997'), 997);
    assert.equal(cache.get('k999'), 999);
  });

  test('does not return an entry older than its TTL, and forgets it', () => {
    const clock = new ManualClock();
    const cache = new BoundedTtlCache<string>(10, 5000, clock.read);
    cache.set('a', 'x');
    clock.advance(4999);
    assert.equal(cache.get('a'), 'x');
    clock.advance(1);
    assert.equal(cache.get('a'), undefined);
    assert.equal(cache.size, 0);
  });

  test('stores nothing when its limit or TTL is 0', () => {
    for (const cache of [new BoundedTtlCache<string>(0, 5000), new BoundedTtlCache<string>(10, 0)]) {
      cache.set('a', 'x');
      assert.equal(cache.get('a'), undefined);
      assert.equal(cache.size, 0);
    }
  });

  test('fails on a negative or fractional limit', () => {
    assert.throws(() => new BoundedTtlCache(-1, 1000), /maxEntries must be a non-negative integer \(got -1\)/);
    assert.throws(() => new BoundedTtlCache(1.5, 1000), RangeError);
  });
});
