import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MESSAGE_SHAPE_LIMITS, messageShapeProblem } from './json-shape.js';

const check = (text: string, limits = MESSAGE_SHAPE_LIMITS) => messageShapeProblem(Buffer.from(text), limits);

describe('messageShapeProblem', () => {
  test('an ordinary message is within bounds', () => {
    assert.equal(check(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: { text: 'a, b: {c} [d] "e"' } } })), undefined);
  });

  test('each limit is found', () => {
    assert.equal(check('{"a":[[[[1]]]]}', { ...MESSAGE_SHAPE_LIMITS, depth: 3 }), 'depth');
    assert.equal(check(JSON.stringify(Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']))), { ...MESSAGE_SHAPE_LIMITS, members: 10 }), 'members');
    assert.equal(check(JSON.stringify(Array.from({ length: 11 }, () => 1)), { ...MESSAGE_SHAPE_LIMITS, values: 10 }), 'values');
    assert.equal(check(JSON.stringify({ ['k'.repeat(300)]: 1 })), 'key');
    assert.equal(check(JSON.stringify({ k: 'v'.repeat(300 * 1024) })), 'string');
  });

  test('a __proto__ key is found, escaped or not, and only as a key', () => {
    assert.equal(check('{"arguments":{"__proto__":{"x":1}}}'), 'prototype_key');
    assert.equal(check('{"arguments":{"\\u005f_proto__":1}}'), 'prototype_key');
    assert.equal(check('{"text":"__proto__"}'), undefined);
  });

  test('structural characters inside strings, escaped quotes included, are not counted', () => {
    const inside = JSON.stringify({ text: '{{{{[[[[\\"}}}}]]]]'.repeat(10) });
    assert.equal(check(inside, { ...MESSAGE_SHAPE_LIMITS, depth: 2, values: 3 }), undefined);
  });

  test('a body full of short keys is scanned to its end', () => {
    // Within every limit but the values: the scan must reach the 6,001st value, not stop early.
    const body = JSON.stringify(Object.fromEntries(Array.from({ length: MESSAGE_SHAPE_LIMITS.values + 1 }, (_, i) => [`k${i}`, 1])));
    assert.equal(check(body, { ...MESSAGE_SHAPE_LIMITS, members: Number.MAX_SAFE_INTEGER }), 'values');
  });
});
