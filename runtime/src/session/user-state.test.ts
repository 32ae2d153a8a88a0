import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  DynamoSessionStore,
  MAX_STORED_ITEM_BYTES,
  StateConflictError,
  StateTooLargeError,
  handleAccess,
  userStateAccess,
} from './index.js';
import { ManualClock, startLocalDynamo, testPrincipal, type LocalDynamo } from './test-support.js';

const alice = testPrincipal('alice');
const bob = testPrincipal('bob');

describe('DynamoSessionStore user state', () => {
  let dynamo: LocalDynamo;
  let instanceA: DynamoSessionStore;
  let instanceB: DynamoSessionStore;

  before(async () => {
    dynamo = await startLocalDynamo();
    instanceA = new DynamoSessionStore({ tableName: dynamo.tableName, client: dynamo.client });
    instanceB = new DynamoSessionStore({ tableName: dynamo.tableName, client: dynamo.client });
  });
  after(async () => {
    instanceA.close();
    instanceB.close();
    await dynamo.close();
  });

  test('writes a new document at version 0 and reads it on another instance', async () => {
    const key = { scope: 'notes' };
    assert.equal(await instanceA.readState(alice, key), undefined);
    assert.deepEqual(await instanceA.writeState(alice, key, { notes: ['first'] }, 0), { version: 1 });
    assert.deepEqual(await instanceB.readState(alice, key), { value: { notes: ['first'] }, version: 1 });
    assert.equal(await instanceB.readState(bob, key), undefined, 'another owner has its own slot');
  });

  test('two instances writing from the same version: one wins, the other gets StateConflictError', async () => {
    // GIVEN a document both instances read at version 1
    const key = { scope: 'counter' };
    await instanceA.writeState(alice, key, { count: 0 }, 0);
    const seenByA = await instanceA.readState(alice, key);
    const seenByB = await instanceB.readState(alice, key);
    assert.equal(seenByA?.version, 1);
    assert.equal(seenByB?.version, 1);
    // WHEN both write on top of it at once
    const results = await Promise.allSettled([
      instanceA.writeState(alice, key, { count: 1, by: 'a' }, 1),
      instanceB.writeState(alice, key, { count: 1, by: 'b' }, 1),
    ]);
    // THEN exactly one write lands, and the other is told
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(fulfilled.length, 1);
    assert.equal(rejected.length, 1);
    assert.ok(rejected[0]?.reason instanceof StateConflictError);
    const stored = await instanceA.readState(alice, key);
    assert.equal(stored?.version, 2);
    const winner = results[0]?.status === 'fulfilled' ? 'a' : 'b';
    assert.deepEqual(stored?.value, { count: 1, by: winner });
  });

  test('creating a document that already exists is a conflict', async () => {
    const key = { scope: 'created-twice' };
    await instanceA.writeState(alice, key, 1, 0);
    await assert.rejects(instanceB.writeState(alice, key, 2, 0), StateConflictError);
  });

  test('a too-large document is refused before writing and the previous one stays intact', async () => {
    const key = { scope: 'big' };
    await instanceA.writeState(alice, key, { small: true }, 0);
    const error = await instanceA.writeState(alice, key, { blob: 'x'.repeat(410_000) }, 1).then(
      () => assert.fail('the write should have been refused'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof StateTooLargeError);
    assert.ok(error.sizeBytes > error.limitBytes);
    assert.deepEqual(await instanceB.readState(alice, key), { value: { small: true }, version: 1 });
  });

  test('size is counted in UTF-8 bytes as DynamoDB counts it, not in characters', async () => {
    // 140 000 euro signs are 140 000 characters but 420 000 bytes.
    await assert.rejects(instanceA.writeState(alice, { scope: 'euros' }, '€'.repeat(140_000), 0), StateTooLargeError);
    assert.equal(await instanceA.readState(alice, { scope: 'euros' }), undefined);
  });

  test('a document just under the limit is stored and read back whole', async () => {
    const key = { scope: 'near-limit' };
    const value = 'y'.repeat(MAX_STORED_ITEM_BYTES - 1024);
    await instanceA.writeState(alice, key, value, 0);
    const stored = await instanceB.readState(alice, key);
    assert.equal(stored?.value, value);
  });

  test('refuses values that are not JSON', async () => {
    await assert.rejects(instanceA.writeState(alice, { scope: 'fn' }, () => 1, 0), TypeError);
    await assert.rejects(instanceA.writeState(alice, { scope: 'bad scope#' }, 1, 0), RangeError);
    await assert.rejects(instanceA.writeState(alice, { scope: 'v' }, 1, -1), RangeError);
  });

  test('backs the UserStateAccess of a tool context', async () => {
    const state = userStateAccess(instanceA, alice, { scope: 'whoami' });
    const first = await state.write({ visits: 1 }, 0);
    const read = await userStateAccess(instanceB, alice, { scope: 'whoami' }).read();
    assert.deepEqual(read, { value: { visits: 1 }, version: first.version });
    await assert.rejects(state.write({ visits: 2 }, 0), StateConflictError);
  });

  test('session-scoped state is separate from owner state and goes when its session is deleted', async () => {
    const { id } = await instanceA.createSession(alice, { protocolVersion: '2025-06-18' });
    const sessionKey = { scope: 'notes', sessionId: id };
    await instanceA.writeState(alice, sessionKey, 'per-session', 0);
    await instanceA.writeState(alice, { scope: 'kept' }, 'per-owner', 0);
    assert.equal((await instanceB.readState(alice, sessionKey))?.value, 'per-session');
    assert.equal(await instanceB.readState(bob, sessionKey), undefined, 'a session id does not open another owner\'s state');
    assert.equal(await instanceB.deleteSession(id, alice), true);
    assert.equal(await instanceA.readState(alice, sessionKey), undefined);
    assert.equal((await instanceA.readState(alice, { scope: 'kept' }))?.value, 'per-owner');
  });

  test('an expired document reads as absent and can be created again from version 0', async () => {
    const clock = new ManualClock();
    const store = new DynamoSessionStore({
      tableName: dynamo.tableName,
      client: dynamo.client,
      clock: clock.read,
      stateTtlSeconds: 60,
    });
    const key = { scope: 'short-lived' };
    await store.writeState(alice, key, 'old', 0);
    clock.advance(61_000);
    assert.equal(await store.readState(alice, key), undefined);
    assert.deepEqual(await store.writeState(alice, key, 'new', 0), { version: 1 });
    assert.equal((await store.readState(alice, key))?.value, 'new');
  });
});

describe('DynamoSessionStore handles', () => {
  let dynamo: LocalDynamo;
  let store: DynamoSessionStore;
  let otherInstance: DynamoSessionStore;
  const clock = new ManualClock();

  before(async () => {
    dynamo = await startLocalDynamo();
    store = new DynamoSessionStore({ tableName: dynamo.tableName, client: dynamo.client, clock: clock.read });
    otherInstance = new DynamoSessionStore({ tableName: dynamo.tableName, client: dynamo.client, clock: clock.read });
  });
  after(async () => {
    store.close();
    otherInstance.close();
    await dynamo.close();
  });

  test('resolves for its owner on any instance, and only for its owner', async () => {
    const handle = await store.mintHandle(alice, 'cursor', { page: 2 }, 300);
    assert.match(handle, /^[A-Za-z0-9_-]{43}$/);
    const resolved = await otherInstance.resolveHandle(alice, handle);
    assert.equal(resolved?.kind, 'cursor');
    assert.deepEqual(resolved?.value, { page: 2 });
    assert.equal(await otherInstance.resolveHandle(bob, handle), undefined, 'possession is not authorization');
    assert.equal(await otherInstance.resolveHandle(alice, handle, 'job'), undefined, 'kind is checked when given');
    assert.equal(await otherInstance.resolveHandle(alice, 'B'.repeat(43)), undefined);
    assert.equal(await otherInstance.resolveHandle(alice, '../etc/passwd'), undefined);
  });

  test('a handle copied under another owner\'s key does not resolve', async () => {
    // A forged item at bob's key for alice's handle, carrying alice as owner, is still refused for bob.
    const handle = await store.mintHandle(alice, 'cursor', 'secret', 300);
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
    const original = Items?.find((item) => item.kind?.S === 'cursor' && item.value?.S === '"secret"');
    assert.ok(original);
    const bobsPk = bobKeyFor(handle).pk;
    await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: { ...original, pk: { S: bobsPk } } }));
    assert.equal(await store.resolveHandle(bob, handle), undefined);
  });

  test('backs the handle access of a tool context', async () => {
    const handle = await handleAccess(store, alice).mint('cursor', { offset: 10 }, 60);
    assert.deepEqual(await handleAccess(otherInstance, alice).resolve(handle, 'cursor'), { offset: 10 });
    assert.equal(await handleAccess(otherInstance, bob).resolve(handle, 'cursor'), undefined);
  });

  test('expires after its TTL', async () => {
    const handle = await store.mintHandle(alice, 'job', 'result', 60);
    clock.advance(59_000);
    assert.notEqual(await store.resolveHandle(alice, handle), undefined);
    clock.advance(2_000);
    assert.equal(await store.resolveHandle(alice, handle), undefined);
  });

  test('can be withdrawn by its owner only', async () => {
    const handle = await store.mintHandle(alice, 'job', 'result', 60);
    assert.equal(await store.deleteHandle(bob, handle), false);
    assert.notEqual(await store.resolveHandle(alice, handle), undefined);
    assert.equal(await store.deleteHandle(alice, handle), true);
    assert.equal(await otherInstance.resolveHandle(alice, handle), undefined);
  });

  test('refuses a TTL out of range, a malformed kind and an oversized value', async () => {
    await assert.rejects(store.mintHandle(alice, 'job', 1, 0), RangeError);
    await assert.rejects(store.mintHandle(alice, 'job', 1, 86_401), RangeError);
    await assert.rejects(store.mintHandle(alice, 'no spaces', 1, 60), RangeError);
    await assert.rejects(store.mintHandle(alice, 'job', 'z'.repeat(500_000), 60), StateTooLargeError);
  });
});

/** The item key bob's lookup of `handle` reads. */
function bobKeyFor(handle: string): { pk: string } {
  const digest = (value: string): string => createHash('sha256').update(value).digest('hex');
  return { pk: `handle#${digest(JSON.stringify([bob.issuer, bob.subject]))}#${digest(handle)}` };
}
