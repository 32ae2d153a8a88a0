import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { ownerDigest, SessionIdKey, sha256Hex } from './ids.js';
import { DynamoSessionStore, type DynamoSessionStoreOptions } from './index.js';
import { countingClient, LOCAL_CREDENTIALS, ManualClock, sessionStores, startLocalDynamo, testPrincipal, type LocalDynamo } from './test-support.js';

const alice = testPrincipal('alice');
const bob = testPrincipal('bob');
const init = { protocolVersion: '2025-06-18', clientInfo: { name: 'inspector', version: '1.0.0' } };

describe('DynamoSessionStore sessions', () => {
  let dynamo: LocalDynamo;
  const stores = sessionStores();
  const storeOn = stores.on;

  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    stores.closeAll();
    await dynamo.close();
  });

  test('creates a session with a 256-bit visible-ASCII id and reads it back for its owner', async () => {
    // GIVEN
    const store = storeOn(dynamo, { cacheTtlSeconds: 0 });
    // WHEN
    const { id, record } = await store.createSession(alice, init);
    // THEN
    assert.match(id, /^[A-Za-z0-9_-]{45}$/);
    assert.equal(Buffer.from(id.slice(0, 43), 'base64url').length, 32, '256 random bits, then the owner slot');
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
    assert.equal(dump.includes(sha256Hex(id)), true, 'the item holds the digest of the id');
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
    assert.equal(await store.getSession(`${'A'.repeat(43)}00`, alice), undefined, 'right shape, unknown id');
    assert.equal(await store.getSession(`${id.slice(0, 43)}zz`, alice), undefined, 'another slot');
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

  test('a session key is checked exactly like its id: owner, client, expiry and deletion on every read, level and delete', async () => {
    // GIVEN a session of alice, read by key from a cached store
    const clock = new ManualClock();
    const store = storeOn(dynamo, { clock: clock.read, idleTimeoutSeconds: 60, touchIntervalSeconds: 10 });
    const { id } = await store.createSession(alice, init);
    const key = SessionIdKey.of(id);
    assert.ok(key);
    assert.equal(key.idHash, sha256Hex(id));
    assert.equal(Object.isFrozen(key), true);
    // WHEN / THEN
    assert.deepEqual(await store.getSession(key, alice), await store.getSession(id, alice));
    assert.equal(await store.getSession(key, bob), undefined, 'foreign');
    assert.equal(await store.getSession(key, { ...alice, clientId: 'other-client' }), undefined, 'another client');
    clock.advance(20_000);
    const record = await store.getSession(key, alice);
    assert.ok(record);
    assert.equal(await store.touchSession(key, record), true, 'touched by key');
    assert.equal(await store.setLogLevel(key, bob, 'debug'), false, 'a foreign key sets no level');
    assert.equal(await store.setLogLevel(key, alice, 'debug'), true, 'level set by key');
    assert.equal((await store.getSession(id, alice))?.logLevel, 'debug');
    assert.equal(await store.deleteSession(key, bob), false, 'a foreign key deletes nothing');
    assert.equal(await store.deleteSession(key, { ...alice, clientId: 'other-client' }), false, 'nor another client');
    assert.equal(await store.deleteSession(key, alice), true, 'deleted by key');
    assert.equal(await store.getSession(key, alice), undefined, 'deleted');
    assert.equal(await store.getSession(id, alice), undefined, 'deleted for the id too');
    const { id: second } = await store.createSession(alice, init);
    const secondKey = SessionIdKey.of(second);
    assert.ok(secondKey);
    clock.advance(61_000);
    assert.equal(await store.getSession(secondKey, alice), undefined, 'idle-expired');
    assert.equal(SessionIdKey.of('not-an-id'), undefined);
    assert.equal(SessionIdKey.of(`${'A'.repeat(43)}00x`), undefined);
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
        Key: { pk: { S: `sessions#${ownerDigest(alice.issuer, alice.subject)}` }, sk: { S: `slot#${Number.parseInt(id.slice(43), 36)}` } },
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

  test('the log level is kept in the session record, set only by its owner and client, and survives a touch', async () => {
    // GIVEN a session read on a second instance, which has no level yet
    const first = storeOn(dynamo, { cacheTtlSeconds: 0, touchIntervalSeconds: 0 });
    const second = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const { id } = await first.createSession(alice, init);
    assert.equal((await second.getSession(id, alice))?.logLevel, undefined);
    // WHEN someone else, or the same user through another client, sets it
    // THEN nothing changes
    assert.equal(await first.setLogLevel(id, bob, 'debug'), false);
    assert.equal(await first.setLogLevel(id, { ...alice, clientId: 'other-client' }, 'debug'), false);
    assert.equal((await second.getSession(id, alice))?.logLevel, undefined);
    // WHEN the owner sets it
    assert.equal(await first.setLogLevel(id, alice, 'warning'), true);
    // THEN every instance reads it with the record, and a touch keeps it
    const record = await second.getSession(id, alice);
    assert.equal(record?.logLevel, 'warning');
    assert.equal(await first.touchSession(id, record!), true);
    assert.equal((await second.getSession(id, alice))?.logLevel, 'warning');
    // AND an ended session takes no level
    assert.equal(await first.deleteSession(id, alice), true);
    assert.equal(await first.setLogLevel(id, alice, 'error'), false);
  });

  test('a session opened by one client of a user is not usable by another client of the same user', async () => {
    // GIVEN alice's session opened through one OAuth client
    const store = storeOn(dynamo, { touchIntervalSeconds: 0 });
    const uncached = storeOn(dynamo, { cacheTtlSeconds: 0 });
    const viaOther = { ...alice, clientId: 'other-client' };
    const { id, record } = await store.createSession(alice, init);
    // WHEN a token of the same user for another client presents it
    // THEN it reads as unknown, cannot end it, and the opening client keeps it
    assert.equal(await store.getSession(id, viaOther), undefined, 'cached record');
    assert.equal(await uncached.getSession(id, viaOther), undefined, 'record read from the table');
    assert.equal(await uncached.deleteSession(id, viaOther), false);
    assert.deepEqual(await uncached.getSession(id, alice), record);
    assert.equal(await uncached.deleteSession(id, alice), true);
  });

  test('a reconnecting owner at the cap costs one conditional write; a cold instance a query and a write', async () => {
    // GIVEN an owner already at a cap of 3, and an instance that has seen the owner's slots
    const frank = testPrincipal('frank');
    const counted = countingClient(dynamo);
    const store = storeOn(dynamo, { client: counted.client, maxSessionsPerOwner: 3 });
    for (let i = 0; i < 3; i += 1) await store.createSession(frank, init);
    // WHEN the owner opens more sessions through it
    counted.calls.length = 0;
    for (let i = 0; i < 5; i += 1) await store.createSession(frank, init);
    // THEN each cost one PutItem and nothing else
    assert.deepEqual(counted.calls, Array(5).fill('PutItem'));
    // AND an instance that has not seen the owner reads the slots once, then writes
    const cold = storeOn(dynamo, { client: counted.client, maxSessionsPerOwner: 3 });
    counted.calls.length = 0;
    await cold.createSession(frank, init);
    assert.deepEqual(counted.calls, ['Query', 'PutItem']);
    assert.equal(await sessionItems(dynamo, frank), 3);
  });

  test('an instance with a stale view of the slots never overwrites a session another instance just wrote', async () => {
    // GIVEN two instances that both know grace's slots (cap 2, both full)
    const clock = new ManualClock();
    const grace = testPrincipal('grace');
    const east = storeOn(dynamo, { clock: clock.read, maxSessionsPerOwner: 2 });
    const west = storeOn(dynamo, { clock: clock.read, maxSessionsPerOwner: 2 });
    const oldest = await east.createSession(grace, init);
    clock.advance(1000);
    const second = await east.createSession(grace, init);
    clock.advance(1000);
    // west learns the slots (a cold creation replaces the oldest)
    const fromWest = await west.createSession(grace, init);
    clock.advance(1000);
    // WHEN east, whose view still shows the first session, creates another
    const fromEast = await east.createSession(grace, init);
    // THEN east replaced the oldest live one (second), not west's newer session
    const reader = storeOn(dynamo, { clock: clock.read, cacheTtlSeconds: 0, maxSessionsPerOwner: 2 });
    const live = async (id: string) => (await reader.getSession(id, grace)) !== undefined;
    assert.deepEqual(await Promise.all([oldest.id, second.id, fromWest.id, fromEast.id].map(live)), [false, false, true, true]);
    assert.equal(await sessionItems(dynamo, grace), 2);
  });

  test('creations racing on several instances never leave an owner more session items than the cap', async () => {
    // GIVEN four instances and an owner with a cap of 3
    const heidi = testPrincipal('heidi');
    const instances = Array.from({ length: 4 }, () => storeOn(dynamo, { maxSessionsPerOwner: 3 }));
    // WHEN 24 sessions are opened at once across them
    const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) => instances[i % 4]!.createSession(heidi, init)));
    // THEN storage stays at the cap, every failure is the retryable store error, and the owner can still open one
    assert.equal(await sessionItems(dynamo, heidi), 3);
    for (const result of results) {
      if (result.status === 'rejected') assert.equal((result.reason as Error).name, 'SessionStoreUnavailableError');
    }
    const after = await instances[0]!.createSession(heidi, init);
    assert.notEqual(await instances[1]!.getSession(after.id, heidi), undefined);
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
    assert.equal(await sessionItems(dynamo, carol), 3, 'storage per owner stays at the cap');
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
    // Bounded in code points, not UTF-16 units: 200 astral characters (400 units) are kept whole, 300 cut to 256.
    const astral = await store.createSession(alice, { protocolVersion: '2025-03-26', clientInfo: { name: '😀'.repeat(200), version: '\uD800x' } });
    assert.equal(astral.record.clientInfo.name, '😀'.repeat(200));
    assert.equal(astral.record.clientInfo.version, '\uFFFDx', 'a lone surrogate is replaced');
    const longer = await store.createSession(alice, { protocolVersion: '2025-03-26', clientInfo: { name: '😀'.repeat(300), version: '1' } });
    assert.equal(longer.record.clientInfo.name, '😀'.repeat(256));
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

/** How many session items the owner has in the table (expired ones included). */
async function sessionItems(local: LocalDynamo, owner: { issuer: string; subject: string }): Promise<number> {
  const { Count } = await local.client.send(
    new QueryCommand({
      TableName: local.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': 'pk' },
      ExpressionAttributeValues: { ':pk': { S: `sessions#${ownerDigest(owner.issuer, owner.subject)}` } },
      ConsistentRead: true,
    }),
  );
  return Count ?? 0;
}
