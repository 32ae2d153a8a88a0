import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { sha256Hex } from './ids.js';
import { DynamoSessionStore, SESSION_TABLE, type DynamoSessionStoreOptions } from './index.js';
import { LOCAL_CREDENTIALS, ManualClock, startLocalDynamo, testPrincipal, type LocalDynamo } from './test-support.js';

const alice = testPrincipal('alice');
const bob = testPrincipal('bob');
const init = { protocolVersion: '2025-06-18', clientInfo: { name: 'inspector', version: '1.0.0' } };

describe('DynamoSessionStore sessions', () => {
  let dynamo: LocalDynamo;
  const stores: DynamoSessionStore[] = [];
  const storeOn = (local: LocalDynamo, options: Partial<DynamoSessionStoreOptions> = {}): DynamoSessionStore => {
    const store = new DynamoSessionStore({ tableName: local.tableName, client: local.client, ...options });
    stores.push(store);
    return store;
  };

  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    for (const store of stores) store.close();
    await dynamo.close();
  });

  test('creates a session with a 256-bit visible-ASCII id and reads it back for its owner', async () => {
    // GIVEN
    const store = storeOn(dynamo, { cacheTtlSeconds: 0 });
    // WHEN
    const { id, record } = await store.createSession(alice, init);
    // THEN
    assert.match(id, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(id, 'base64url').length, 32);
    assert.equal(record.owner, `${alice.issuer}|${alice.subject}`);
    assert.equal(record.clientId, 'test-client');
    assert.equal(record.expiresAt, Math.ceil(Math.min(record.idleExpiresAt, record.absoluteExpiresAt) / 1000));
    assert.deepEqual(await store.getSession(id, alice), record);
  });

  test('never stores the session id in clear', async () => {
    const store = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const { id } = await store.createSession(alice, init);
    const { Items } = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tableName }));
    const dump = JSON.stringify(Items);
    assert.equal(dump.includes(id), false);
    assert.equal(dump.includes(sha256Hex(id)), true, 'the item is keyed by the digest of the id');
  });

  test('a session made on one instance serves on another instance sharing the table', async () => {
    const first = storeOn(dynamo);
    const second = storeOn(dynamo);
    const { id, record } = await first.createSession(alice, init);
    assert.deepEqual(await second.getSession(id, alice), record);
  });

  test('a foreign, unknown or malformed session id reads as undefined', async () => {
    const store = storeOn(dynamo);
    const uncached = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const { id } = await store.createSession(alice, init);
    assert.equal(await store.getSession(id, bob), undefined);
    assert.equal(await uncached.getSession(id, bob), undefined);
    assert.equal(await store.getSession(id, testPrincipal('alice', 'https://other-issuer.test')), undefined);
    assert.equal(await store.getSession('A'.repeat(43), alice), undefined);
    assert.equal(await store.getSession('not-an-id', alice), undefined);
  });

  test('issuer and subject are compared apart, so a "|" cannot forge the owner key', async () => {
    const store = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const owner = testPrincipal('c', 'https://a|b');
    const lookalike = testPrincipal('b|c', 'https://a');
    const { id } = await store.createSession(owner, init);
    assert.equal(await store.getSession(id, lookalike), undefined);
    assert.equal(await store.deleteSession(id, lookalike), false);
    assert.notEqual(await store.getSession(id, owner), undefined);
  });

  test('expires after the idle timeout, checked on read', async () => {
    const clock = new ManualClock();
    const store = storeOn(dynamo, { clock: clock.read, idleTimeoutSeconds: 60, cacheTtlSeconds: 0 });
    const { id } = await store.createSession(alice, init);
    clock.advance(59_000);
    assert.notEqual(await store.getSession(id, alice), undefined);
    clock.advance(1_000);
    assert.equal(await store.getSession(id, alice), undefined);
  });

  test('expires after the absolute lifetime however often it is touched', async () => {
    const clock = new ManualClock();
    const store = storeOn(dynamo, {
      clock: clock.read,
      idleTimeoutSeconds: 60,
      absoluteLifetimeSeconds: 150,
      touchIntervalSeconds: 10,
    });
    const { id } = await store.createSession(alice, init);
    for (let i = 0; i < 3; i += 1) {
      clock.advance(40_000);
      const record = await store.getSession(id, alice);
      assert.ok(record, `alive after ${(i + 1) * 40} s`);
      assert.equal(await store.touchSession(id, record), true);
      assert.ok(record.idleExpiresAt <= record.absoluteExpiresAt);
    }
    const last = await store.getSession(id, alice);
    assert.equal(last?.idleExpiresAt, last?.absoluteExpiresAt, 'idle expiry capped at the absolute expiry');
    clock.advance(30_000);
    assert.equal(await store.getSession(id, alice), undefined);
  });

  test('touch writes at most once per interval and extends the idle expiry', async () => {
    const clock = new ManualClock();
    const store = storeOn(dynamo, { clock: clock.read, idleTimeoutSeconds: 600, touchIntervalSeconds: 60, cacheTtlSeconds: 0 });
    const { id, record } = await store.createSession(alice, init);
    clock.advance(30_000);
    assert.equal(await store.touchSession(id, record), false, 'too soon: no write');
    clock.advance(31_000);
    const current = await store.getSession(id, alice);
    assert.ok(current);
    assert.equal(await store.touchSession(id, current), true);
    const touched = await store.getSession(id, alice);
    assert.equal(touched?.lastUsedAt, clock.now);
    assert.equal(touched?.idleExpiresAt, clock.now + 600_000);
    assert.equal(touched?.version, record.version + 1);
    assert.equal(touched?.expiresAt, Math.ceil((clock.now + 600_000) / 1000));
  });

  test('a touch never brings back a deleted session', async () => {
    const clock = new ManualClock();
    const store = storeOn(dynamo, { clock: clock.read, touchIntervalSeconds: 0 });
    const { id, record } = await store.createSession(alice, init);
    assert.equal(await store.deleteSession(id, alice), true);
    clock.advance(1000);
    assert.equal(await store.touchSession(id, record), false);
    const { Item } = await dynamo.client.send(
      new GetItemCommand({
        TableName: dynamo.tableName,
        Key: { pk: { S: `session#${sha256(id)}` }, sk: { S: 'session' } },
        ConsistentRead: true,
      }),
    );
    assert.equal(Item, undefined);
  });

  test('of two instances touching the same session at once, one writes', async () => {
    const clock = new ManualClock();
    const first = storeOn(dynamo, { clock: clock.read, touchIntervalSeconds: 0 });
    const second = storeOn(dynamo, { clock: clock.read, touchIntervalSeconds: 0 });
    const { id, record } = await first.createSession(alice, init);
    clock.advance(1000);
    const results = await Promise.all([first.touchSession(id, record), second.touchSession(id, record)]);
    assert.deepEqual(results.sort(), [false, true]);
  });

  test('delete is owner-only and ends the session everywhere', async () => {
    const first = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const second = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const { id } = await first.createSession(alice, init);
    assert.equal(await second.deleteSession(id, bob), false);
    assert.notEqual(await second.getSession(id, alice), undefined);
    assert.equal(await second.deleteSession(id, alice), true);
    assert.equal(await first.getSession(id, alice), undefined);
    assert.equal(await first.deleteSession(id, alice), false, 'a second delete finds nothing');
  });

  test('at the cap, a new session evicts the owner\'s oldest live sessions and no one else\'s', async () => {
    // GIVEN an owner at a cap of 3, and another owner's session
    const clock = new ManualClock();
    const store = storeOn(dynamo, { clock: clock.read, maxSessionsPerOwner: 3, cacheTtlSeconds: 0 });
    const carol = testPrincipal('carol');
    const dave = testPrincipal('dave');
    const davesSession = await store.createSession(dave, init);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      clock.advance(1000);
      ids.push((await store.createSession(carol, init)).id);
    }
    // WHEN two more are created
    clock.advance(1000);
    ids.push((await store.createSession(carol, init)).id);
    clock.advance(1000);
    ids.push((await store.createSession(carol, init)).id);
    // THEN the two oldest are gone, the three newest serve, and dave is untouched
    const alive = await Promise.all(ids.map(async (id) => (await store.getSession(id, carol)) !== undefined));
    assert.deepEqual(alive, [false, false, true, true, true]);
    assert.notEqual(await store.getSession(davesSession.id, dave), undefined);
    const { Count } = await dynamo.client.send(
      new QueryCommand({
        TableName: dynamo.tableName,
        IndexName: SESSION_TABLE.ownerIndex.name,
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':o': { S: `${carol.issuer}|${carol.subject}` } },
      }),
    );
    assert.equal(Count, 3, 'storage per owner stays at the cap');
  });

  test('at the cap, expired sessions do not count, so a younger expired session never costs an older live one', async () => {
    // GIVEN a cap of 2: an older session kept alive by use, and a younger one left to go idle
    const clock = new ManualClock();
    const store = storeOn(dynamo, {
      clock: clock.read,
      maxSessionsPerOwner: 2,
      idleTimeoutSeconds: 60,
      touchIntervalSeconds: 10,
      cacheTtlSeconds: 0,
    });
    const erin = testPrincipal('erin');
    const used = await store.createSession(erin, init);
    clock.advance(1000);
    await store.createSession(erin, init);
    clock.advance(49_000);
    const current = await store.getSession(used.id, erin);
    assert.ok(current);
    assert.equal(await store.touchSession(used.id, current), true);
    clock.advance(50_000);
    // WHEN a new session is created
    const fresh = await store.createSession(erin, init);
    // THEN the used one survives next to the new one
    assert.notEqual(await store.getSession(used.id, erin), undefined);
    assert.notEqual(await store.getSession(fresh.id, erin), undefined);
  });

  test('two regions before replication: a session of one reads as undefined in the other, and a new one works there', async () => {
    const otherRegion = await startLocalDynamo();
    try {
      const east = storeOn(dynamo);
      const west = storeOn(otherRegion);
      const { id } = await east.createSession(alice, init);
      assert.equal(await west.getSession(id, alice), undefined);
      const again = await west.createSession(alice, init);
      assert.notEqual(await west.getSession(again.id, alice), undefined);
    } finally {
      await otherRegion.close();
    }
  });

  test('refuses an oversized protocol version and bounds client info', async () => {
    const store = storeOn(dynamo);
    await assert.rejects(store.createSession(alice, { protocolVersion: 'x'.repeat(65) }), RangeError);
    const { record } = await store.createSession(alice, {
      protocolVersion: '2025-03-26',
      clientInfo: { name: 'n'.repeat(10_000), version: '1', extra: 'x'.repeat(10_000) } as never,
    });
    assert.equal(record.clientInfo.name.length, 256);
    assert.deepEqual(Object.keys(record.clientInfo), ['name', 'version']);
  });

  test('ping answers for an existing table', async () => {
    await storeOn(dynamo).ping();
    await assert.rejects(
      storeOn(dynamo, { tableName: 'no-such-table' }).ping(),
      (error: Error) => error.name === 'SessionStoreUnavailableError',
    );
  });
});

describe('DynamoSessionStore cache', () => {
  let dynamo: LocalDynamo;
  const stores: DynamoSessionStore[] = [];
  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    for (const store of stores) store.close();
    await dynamo.close();
  });
  const storeOn = (options: Partial<DynamoSessionStoreOptions>): DynamoSessionStore => {
    const store = new DynamoSessionStore({ tableName: dynamo.tableName, client: dynamo.client, ...options });
    stores.push(store);
    return store;
  };

  test('holds no more records than its limit', async () => {
    const store = storeOn({ cacheMaxEntries: 3, cacheTtlSeconds: 60 });
    for (let i = 0; i < 10; i += 1) {
      const { id } = await store.createSession(testPrincipal(`user-${i}`), init);
      await store.getSession(id, testPrincipal(`user-${i}`));
      assert.ok(store.cachedSessionCount <= 3);
    }
    assert.equal(store.cachedSessionCount, 3);
  });

  test('a delete on another instance stops serving here within the cache TTL; a local delete at once', async () => {
    const clock = new ManualClock();
    const here = storeOn({ clock: clock.read, cacheTtlSeconds: 5 });
    const there = storeOn({ clock: clock.read, cacheTtlSeconds: 5 });
    const { id } = await here.createSession(alice, init);
    assert.notEqual(await here.getSession(id, alice), undefined);
    assert.equal(await there.deleteSession(id, alice), true);
    assert.notEqual(await here.getSession(id, alice), undefined, 'served from the cache inside its TTL');
    clock.advance(5000);
    assert.equal(await here.getSession(id, alice), undefined);

    const local = await here.createSession(alice, init);
    assert.equal(await here.deleteSession(local.id, alice), true);
    assert.equal(await here.getSession(local.id, alice), undefined);
  });

  test('a cached record never serves a foreign principal', async () => {
    const store = storeOn({ cacheTtlSeconds: 60 });
    const { id } = await store.createSession(alice, init);
    assert.notEqual(await store.getSession(id, alice), undefined);
    assert.equal(await store.getSession(id, bob), undefined);
  });

  test('0 turns the cache off', async () => {
    const store = storeOn({ cacheTtlSeconds: 0 });
    const { id } = await store.createSession(alice, init);
    await store.getSession(id, alice);
    assert.equal(store.cachedSessionCount, 0);
  });
});

describe('DynamoSessionStore endpoint from the environment', () => {
  let dynamo: LocalDynamo;
  const saved = {
    specific: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    general: process.env.AWS_ENDPOINT_URL,
  };
  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    restore('AWS_ENDPOINT_URL_DYNAMODB', saved.specific);
    restore('AWS_ENDPOINT_URL', saved.general);
    await dynamo.close();
  });

  for (const variable of ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL'] as const) {
    test(`reaches the table named by ${variable} with no endpoint option`, async () => {
      delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      delete process.env.AWS_ENDPOINT_URL;
      process.env[variable] = dynamo.endpoint;
      const store = new DynamoSessionStore({
        tableName: dynamo.tableName,
        region: 'eu-west-1',
        credentials: LOCAL_CREDENTIALS,
      });
      try {
        const { id } = await store.createSession(alice, init);
        await store.ping();
        assert.notEqual(await store.getSession(id, alice), undefined);
      } finally {
        store.close();
        delete process.env[variable];
      }
    });
  }
});

function restore(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
