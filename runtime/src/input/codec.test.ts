import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { argumentsDigest, createRequestStateCodec, decodeRequestStateKey, generateRequestStateKey, MAX_REQUEST_STATE_CHARS, RequestStateKeyError } from './codec.js';
import { memoryLedger } from './ledger.js';

const binding = { own: 'owner-digest', cid: 'client-a', m: 'tools/call', n: 'notes_clear', d: argumentsDigest({}) };

function codecAt(clock: { now: number }, keys = [decodeRequestStateKey(generateRequestStateKey())]) {
  return createRequestStateCodec({ keys, ttlSeconds: 60, now: () => clock.now });
}

describe('requestState codec', () => {
  test('opens what it sealed, with the payload, and hides everything from the client', async () => {
    const codec = codecAt({ now: 1_000_000 });
    const { state, claims } = await codec.seal({ ...binding, p: { step: 2, secret: 'plan-b' } });
    const opened = await codec.open(state, binding);
    assert.deepEqual(opened, claims);
    assert.deepEqual(opened.p, { step: 2, secret: 'plan-b' });
    // A JWE: five parts, the payload encrypted (no part of the plaintext is readable).
    assert.equal(state.split('.').length, 5);
    for (const part of state.split('.')) {
      const decoded = Buffer.from(part, 'base64url').toString('utf8');
      assert.ok(!decoded.includes('plan-b') && !decoded.includes('client-a') && !decoded.includes('notes_clear'));
    }
  });

  test('refuses a tampered, truncated, oversized or foreign-key state with a fixed reason', async () => {
    const codec = codecAt({ now: 1_000_000 });
    const { state } = await codec.seal(binding);
    const parts = state.split('.');
    const flipped = [...parts];
    flipped[3] = `${flipped[3]!.slice(0, -2)}${flipped[3]!.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const bad of [`${state}-TAMPERED`, flipped.join('.'), parts.slice(0, 4).join('.'), 'x'.repeat(MAX_REQUEST_STATE_CHARS + 1), '']) {
      await assert.rejects(codec.open(bad, binding), (error: Error) => ['malformed', 'key'].includes(error.message));
    }
    const other = codecAt({ now: 1_000_000 });
    await assert.rejects(other.open(state, binding), { message: 'key' });
  });

  test('refuses an expired state and one bound to another caller, client, method or request', async () => {
    const clock = { now: 1_000_000 };
    const codec = codecAt(clock);
    const { state } = await codec.seal(binding);
    for (const foreign of [{ own: 'someone-else' }, { cid: 'client-b' }, { m: 'prompts/get' }, { n: 'notes_list' }, { d: argumentsDigest({ id: 'x' }) }]) {
      await assert.rejects(codec.open(state, { ...binding, ...foreign }), { message: 'binding' });
    }
    clock.now += 60_000;
    await assert.rejects(codec.open(state, binding), { message: 'expired' });
  });

  test('rotates keys: the first key seals, every listed key opens', async () => {
    const older = decodeRequestStateKey(generateRequestStateKey());
    const newer = decodeRequestStateKey(generateRequestStateKey());
    const clock = { now: 1_000_000 };
    const { state } = await codecAt(clock, [older]).seal(binding);
    const rotated = codecAt(clock, [newer, older]);
    assert.equal((await rotated.open(state, binding)).n, 'notes_clear');
    const { state: fresh } = await rotated.seal(binding);
    await assert.rejects(codecAt(clock, [older]).open(fresh, binding), { message: 'key' });
  });

  test('argument digests ignore key order and tell different values apart', () => {
    assert.equal(argumentsDigest({ a: 1, b: { c: [1, 2], d: 'x' } }), argumentsDigest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    assert.notEqual(argumentsDigest({ a: 1 }), argumentsDigest({ a: '1' }));
    assert.equal(argumentsDigest(undefined), argumentsDigest({}));
  });

  test('keys must be base64 of exactly 32 bytes, and the error never shows the value', () => {
    for (const bad of ['short', Buffer.alloc(31).toString('base64'), Buffer.alloc(33).toString('base64'), `${generateRequestStateKey()}!`]) {
      assert.throws(() => decodeRequestStateKey(bad), (error: Error) => error instanceof RequestStateKeyError && !error.message.includes(bad));
    }
    assert.equal(decodeRequestStateKey(Buffer.alloc(32, 7).toString('base64url')).length, 32);
  });
});

describe('memory ledger', () => {
  test('a state id is consumed once, and mints are bounded per principal and window', async () => {
    const clock = { now: 1_000_000 };
    const ledger = memoryLedger({ ttlSeconds: 60, perPrincipal: 2, now: () => clock.now });
    assert.equal(await ledger.consume('id-1', 1_100), true);
    assert.equal(await ledger.consume('id-1', 1_100), false);
    assert.equal(await ledger.admitMint('p'), true);
    assert.equal(await ledger.admitMint('p'), true);
    assert.equal(await ledger.admitMint('p'), false);
    assert.equal(await ledger.admitMint('q'), true);
    clock.now += 60_000;
    assert.equal(await ledger.admitMint('p'), true);
  });
});
