import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { DynamoSessionStore, SessionStoreUnavailableError, type DynamoSessionStoreOptions } from './index.js';
import { LOCAL_CREDENTIALS, testPrincipal } from './test-support.js';

// Faults a real DynamoDB endpoint shows and dynalite cannot: each is a real loopback server speaking
// (or failing to speak) HTTP to the real SDK client.

const alice = testPrincipal('alice');
const someId = `${'A'.repeat(43)}00`;
/** A behaviour guard, not a benchmark: the point is that the failure arrives, and arrives bounded. */
const UPPER_BOUND_MS = 10_000;

function storeAt(endpoint: string, options: Partial<DynamoSessionStoreOptions> = {}): DynamoSessionStore {
  return new DynamoSessionStore({
    tableName: 'mcp-sessions',
    region: 'eu-west-1',
    endpoint,
    credentials: LOCAL_CREDENTIALS,
    ...options,
  });
}

async function failure(operation: Promise<unknown>): Promise<{ error: SessionStoreUnavailableError; elapsedMs: number }> {
  const started = performance.now();
  const error = await operation.then(
    () => assert.fail('the operation should have failed'),
    (e: unknown) => e,
  );
  const elapsedMs = performance.now() - started;
  assert.ok(error instanceof SessionStoreUnavailableError, `got ${String(error)}`);
  return { error, elapsedMs };
}

async function listen(server: NetServer | HttpServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('DynamoSessionStore when the store fails', () => {
  const sockets = new Set<Socket>();
  let hangingConnections = 0;
  let throttledRequests = 0;
  let closedPort: string;
  let hanging: NetServer;
  let hangingEndpoint: string;
  let resetting: NetServer;
  let resettingEndpoint: string;
  let throttling: HttpServer;
  let throttlingEndpoint: string;

  before(async () => {
    const probe = createNetServer();
    closedPort = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    hanging = createNetServer((socket) => {
      hangingConnections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.resume();
    });
    hangingEndpoint = await listen(hanging);

    resetting = createNetServer((socket) => socket.resetAndDestroy());
    resettingEndpoint = await listen(resetting);

    throttling = createHttpServer((request, response) => {
      throttledRequests += 1;
      request.resume();
      request.on('end', () => {
        response.writeHead(400, {
          'content-type': 'application/x-amz-json-1.0',
          'x-amzn-errortype': 'ProvisionedThroughputExceededException',
        });
        response.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
          }),
        );
      });
    });
    throttlingEndpoint = await listen(throttling);
  });

  after(async () => {
    for (const socket of sockets) socket.destroy();
    throttling.closeAllConnections();
    await Promise.all(
      [hanging, resetting, throttling].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  test('an endpoint that refuses connections fails fast as unavailable', async () => {
    const store = storeAt(closedPort);
    try {
      const { error, elapsedMs } = await failure(store.getSession(someId, alice));
      assert.equal(error.reason, 'unreachable');
      assert.ok(elapsedMs < UPPER_BOUND_MS, `took ${elapsedMs} ms`);
      assert.ok(error.retryAfterSeconds >= 2 && error.retryAfterSeconds <= 4, `retry after ${error.retryAfterSeconds}`);
    } finally {
      store.close();
    }
  });

  test('an endpoint that accepts and never answers fails as unavailable within the default budget', async () => {
    const store = storeAt(hangingEndpoint);
    try {
      const { error, elapsedMs } = await failure(store.createSession(alice, { protocolVersion: '2025-06-18' }));
      assert.equal(error.reason, 'timeout');
      assert.ok(elapsedMs < UPPER_BOUND_MS, `took ${elapsedMs} ms`);
      assert.ok(hangingConnections >= 2, `retried (${hangingConnections} connections)`);
    } finally {
      store.close();
    }
  });

  test('tighter timeouts and attempts give a correspondingly shorter failure', async () => {
    const before = hangingConnections;
    const store = storeAt(hangingEndpoint, { requestTimeoutMs: 200, maxAttempts: 2 });
    try {
      const { error, elapsedMs } = await failure(store.getSession(someId, alice));
      assert.equal(error.reason, 'timeout');
      assert.ok(elapsedMs < 2000, `took ${elapsedMs} ms`);
      assert.equal(hangingConnections - before, 2, 'exactly maxAttempts attempts');
    } finally {
      store.close();
    }
  });

  test('a connection reset fails as unavailable', async () => {
    const store = storeAt(resettingEndpoint);
    try {
      const { error, elapsedMs } = await failure(store.ping());
      assert.equal(error.reason, 'unreachable');
      assert.ok(elapsedMs < UPPER_BOUND_MS, `took ${elapsedMs} ms`);
    } finally {
      store.close();
    }
  });

  test('throttling is retried a bounded number of times, then reported with a longer Retry-After', async () => {
    const store = storeAt(throttlingEndpoint);
    throttledRequests = 0;
    try {
      const { error, elapsedMs } = await failure(store.writeState(alice, { scope: 'notes' }, { a: 1 }, 0));
      assert.equal(error.reason, 'throttled');
      assert.equal(throttledRequests, 3, 'the default 3 attempts, no more');
      assert.ok(elapsedMs < UPPER_BOUND_MS, `took ${elapsedMs} ms`);
      assert.ok(error.retryAfterSeconds >= 4 && error.retryAfterSeconds <= 8, `retry after ${error.retryAfterSeconds}`);
      assert.equal(error.message, 'the session store is unavailable');
    } finally {
      store.close();
    }
  });
});
