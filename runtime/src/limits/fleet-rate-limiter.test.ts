import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createSessionStoreClient } from '../session/client.js';
import { LOCAL_CREDENTIALS, ManualClock, startLocalDynamo, type LocalDynamo } from '../session/test-support.js';
import { FleetRateLimiter, RATE_WINDOW_MS, RateLimitUnavailableError } from './index.js';

/** How many of `attempts` requests of `key` the limiters admit, taking turns. */
async function admitted(limiters: readonly FleetRateLimiter[], key: string, attempts: number): Promise<number> {
  let admittedCount = 0;
  for (let i = 0; i < attempts; i++) if ((await limiters[i % limiters.length]!.take(key)) === 0) admittedCount++;
  return admittedCount;
}

describe('FleetRateLimiter', () => {
  let dynamo: LocalDynamo;
  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    await dynamo.close();
  });

  /** A limiter as one instance has it: its own client on the shared table. */
  const instance = (perMinute: number, clock: ManualClock, leaseSize?: number) =>
    new FleetRateLimiter({
      client: createSessionStoreClient({ region: 'eu-west-1', endpoint: dynamo.endpoint, credentials: LOCAL_CREDENTIALS }),
      tableName: dynamo.tableName,
      perMinute,
      ...(leaseSize ? { leaseSize } : {}),
      now: clock.read,
    });

  test('admits exactly the limit across instances sharing the table, and starts again next window', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 10, 0, 0));
    const fleet = [instance(50, clock, 5), instance(50, clock, 5), instance(50, clock, 5)];
    // Requests on one instance at a time: every lease but the last is used up, so all 50 are admitted.
    assert.equal(await admitted(fleet.slice(0, 1), 'alice', 30) + (await admitted(fleet.slice(1), 'alice', 70)), 50);
    assert.ok((await fleet[0]!.take('alice')) > 0, 'refused with the seconds to wait');
    clock.advance(RATE_WINDOW_MS);
    assert.equal(await admitted(fleet, 'alice', 10), 10, 'a new window has a new budget');
  });

  test('never admits more than the limit when requests spread over instances, and at most a lease per other instance fewer', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 11, 0, 0));
    const fleet = [instance(40, clock, 4), instance(40, clock, 4)];
    const count = await admitted(fleet, 'bob', 200);
    assert.ok(count <= 40, `${count} admitted, limit 40`);
    assert.ok(count >= 40 - 4, `${count} admitted, at most one lease (4) lost`);
  });

  test('counts every message of a batch and keeps principals apart', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const one = instance(10, clock, 2);
    assert.equal(await one.take('carol', 8), 0);
    assert.ok((await one.take('carol', 3)) > 0, 'a batch past the limit is refused whole');
    assert.equal(await one.take('carol', 2), 0);
    assert.equal(await one.take('dave'), 0, 'another principal has its own budget');
  });

  test('waiting requests share one lease write', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 13, 0, 0));
    const one = instance(100, clock, 10);
    const answers = await Promise.all(Array.from({ length: 25 }, () => one.take('erin')));
    assert.deepEqual(answers, Array.from({ length: 25 }, () => 0));
  });
});

describe('FleetRateLimiter when the store is slow or down', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let silentEndpoint: string;
  before(async () => {
    // A real TCP server that accepts connections and never answers: a store that hangs.
    silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    silentEndpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  test('refuses a request that needs budget within the deadline, then refuses at once during the back-off', async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 14, 0, 0));
    const limiter = new FleetRateLimiter({
      client: createSessionStoreClient({ region: 'eu-west-1', endpoint: silentEndpoint, credentials: LOCAL_CREDENTIALS, maxAttempts: 1, requestTimeoutMs: 30_000 }),
      tableName: 'mcp-sessions',
      perMinute: 100,
      storeDeadlineMs: 200,
      failureBackoffMs: 60_000,
      now: clock.read,
    });
    await assert.rejects(limiter.take('frank'), RateLimitUnavailableError);
    await assert.rejects(limiter.take('grace'), RateLimitUnavailableError, 'no new write during the back-off');
  });

  test('keeps admitting what it already leased when the store goes down', async () => {
    const dynamo = await startLocalDynamo();
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 15, 0, 0));
    const limiter = new FleetRateLimiter({ client: dynamo.client, tableName: dynamo.tableName, perMinute: 100, leaseSize: 10, storeDeadlineMs: 500, now: clock.read });
    assert.equal(await limiter.take('heidi'), 0);
    await dynamo.close();
    for (let i = 0; i < 9; i++) assert.equal(await limiter.take('heidi'), 0, 'inside the lease');
    await assert.rejects(limiter.take('heidi'), RateLimitUnavailableError, 'past the lease: fail closed');
  });
});
