// Session store figures against dynalite on loopback: session creations per second, and the latency
// the store adds to each legacy-era request (getSession + touchSession), next to two baselines measured
// in the same run: a bare DynamoDB GetItem round-trip and an in-memory Map lookup (what an in-process
// session map would cost).
//
//   npx tsx bench/session-store.ts
//
// dynalite is an in-memory emulator on the same machine: absolute numbers show the store's own
// overhead (SDK, signing, HTTP, JSON, conditions), not DynamoDB's network latency in AWS.
import { pathToFileURL } from 'node:url';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createHash } from 'node:crypto';
import { DynamoSessionStore, type SessionRecord } from '../runtime/src/session/index.js';
import { startLocalDynamo, testPrincipal } from '../runtime/src/session/test-support.js';

/** Latency distribution of one measured operation, in milliseconds. */
export interface LatencySummary {
  readonly samples: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
}

/** What {@link runSessionStoreBench} measured. */
export interface SessionStoreBenchResult {
  readonly creations: {
    /** Sessions created per second, one at a time. */
    readonly sequentialPerSecond: number;
    /** Sessions created per second with `concurrency` creations in flight. */
    readonly concurrentPerSecond: number;
    readonly concurrency: number;
  };
  readonly baseline: {
    /** Bare GetItem (strongly consistent) of a session item through the same SDK client. */
    readonly getItem: LatencySummary;
    /** Lookup in an in-process Map plus the owner comparison. */
    readonly mapLookup: LatencySummary;
  };
  /** getSession + touchSession per request, cache off; the touch is due rarely (default 60 s interval), as in service. */
  readonly getAndTouch: LatencySummary;
  /** getSession + touchSession with a touch write on every request (worst case: touch interval 0). */
  readonly getAndTouchWriting: LatencySummary;
  /** getSession + touchSession with the default 5 s record cache. */
  readonly getAndTouchCached: LatencySummary;
  /** getAndTouch over the bare GetItem baseline. */
  readonly ratioToGetItem: { readonly p50: number; readonly p99: number };
}

/** Options of {@link runSessionStoreBench}. */
export interface SessionStoreBenchOptions {
  /** Measured requests per latency series. @default 2000 */
  readonly requests?: number;
  /** Sessions created per creation series. @default 1000 */
  readonly creations?: number;
  /** Creations in flight in the concurrent series. @default 16 */
  readonly concurrency?: number;
}

/**
 * Starts dynalite on loopback, creates the session table, and measures the session store.
 *
 * @returns the figures; nothing is printed (see the standalone entry point for that).
 */
export async function runSessionStoreBench(options: SessionStoreBenchOptions = {}): Promise<SessionStoreBenchResult> {
  const requests = options.requests ?? 2000;
  const creations = options.creations ?? 1000;
  const concurrency = options.concurrency ?? 16;
  const dynamo = await startLocalDynamo();
  const base = { tableName: dynamo.tableName, client: dynamo.client };
  const uncached = new DynamoSessionStore({ ...base, cacheTtlSeconds: 0 });
  const writing = new DynamoSessionStore({ ...base, cacheTtlSeconds: 0, touchIntervalSeconds: 0 });
  const cached = new DynamoSessionStore(base);
  try {
    const init = { protocolVersion: '2025-06-18', clientInfo: { name: 'bench', version: '1.0.0' } };

    // Creations: a distinct owner each, so the figure is the plain create path (one index query, one put).
    await timeRepeated(50, async (i) => {
      await uncached.createSession(testPrincipal(`warm-${i}`), init);
    });
    const sequentialSeconds = await timeRepeated(creations, async (i) => {
      await uncached.createSession(testPrincipal(`seq-${i}`), init);
    });
    const concurrentSeconds = await timeConcurrent(creations, concurrency, async (i) => {
      await uncached.createSession(testPrincipal(`par-${i}`), init);
    });

    // A pool of live sessions the request series read round-robin.
    const pool: Array<{ id: string; owner: ReturnType<typeof testPrincipal>; record: SessionRecord }> = [];
    for (let i = 0; i < 200; i += 1) {
      const owner = testPrincipal(`user-${i % 50}`);
      const { id, record } = await uncached.createSession(owner, init);
      pool.push({ id, owner, record });
    }
    const map = new Map(pool.map((entry) => [entry.id, entry.record]));
    const pick = (i: number): (typeof pool)[number] => pool[i % pool.length] as (typeof pool)[number];

    const mapLookup = await measure(requests, async (i) => {
      const { id, owner } = pick(i);
      const record = map.get(id);
      if (record === undefined || record.issuer !== owner.issuer || record.subject !== owner.subject) {
        throw new Error('lost a session');
      }
    });
    const getItem = await measure(requests, async (i) => {
      const { id } = pick(i);
      await dynamo.client.send(
        new GetItemCommand({
          TableName: dynamo.tableName,
          Key: { pk: { S: `session#${createHash('sha256').update(id).digest('hex')}` }, sk: { S: 'session' } },
          ConsistentRead: true,
        }),
      );
    });
    const getAndTouch = await measure(requests, (i) => getThenTouch(uncached, pick(i)));
    const getAndTouchWriting = await measure(requests, (i) => getThenTouch(writing, pick(i)));
    const getAndTouchCached = await measure(requests, (i) => getThenTouch(cached, pick(i)));

    return {
      creations: {
        sequentialPerSecond: creations / sequentialSeconds,
        concurrentPerSecond: creations / concurrentSeconds,
        concurrency,
      },
      baseline: { getItem, mapLookup },
      getAndTouch,
      getAndTouchWriting,
      getAndTouchCached,
      ratioToGetItem: { p50: getAndTouch.p50Ms / getItem.p50Ms, p99: getAndTouch.p99Ms / getItem.p99Ms },
    };
  } finally {
    uncached.close();
    writing.close();
    cached.close();
    await dynamo.close();
  }
}

async function getThenTouch(
  store: DynamoSessionStore,
  entry: { id: string; owner: ReturnType<typeof testPrincipal> },
): Promise<void> {
  const record = await store.getSession(entry.id, entry.owner);
  if (record === undefined) throw new Error('lost a session');
  await store.touchSession(entry.id, record);
}

async function timeRepeated(count: number, run: (i: number) => Promise<void>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i += 1) await run(i);
  return (performance.now() - started) / 1000;
}

async function timeConcurrent(count: number, concurrency: number, run: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next;
        next += 1;
        await run(i);
      }
    }),
  );
  return (performance.now() - started) / 1000;
}

/** Runs `run` sequentially after a warm-up and summarises the per-call latency. */
async function measure(count: number, run: (i: number) => Promise<void>): Promise<LatencySummary> {
  for (let i = 0; i < Math.min(200, count); i += 1) await run(i);
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = performance.now();
    await run(i);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  const at = (q: number): number => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? 0;
  return {
    samples: samples.length,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    meanMs: samples.reduce((sum, s) => sum + s, 0) / samples.length,
  };
}

function printResult(result: SessionStoreBenchResult): void {
  const ms = (value: number): string => (value < 0.1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(3)} ms`);
  const row = (name: string, s: LatencySummary): string =>
    `  ${name.padEnd(44)} p50 ${ms(s.p50Ms).padStart(11)}   p99 ${ms(s.p99Ms).padStart(11)}   mean ${ms(s.meanMs).padStart(11)}`;
  const { creations, baseline } = result;
  console.log('session store against dynalite on loopback');
  console.log(`  session creations, sequential               ${creations.sequentialPerSecond.toFixed(0)} /s`);
  console.log(`  session creations, ${String(creations.concurrency).padStart(2)} in flight              ${creations.concurrentPerSecond.toFixed(0)} /s`);
  console.log('per-request latency');
  console.log(row('baseline: in-memory Map lookup', baseline.mapLookup));
  console.log(row('baseline: bare GetItem round-trip', baseline.getItem));
  console.log(row('getSession + touch (cache off)', result.getAndTouch));
  console.log(row('getSession + touch, touch writes every time', result.getAndTouchWriting));
  console.log(row('getSession + touch (5 s cache)', result.getAndTouchCached));
  console.log('ratios');
  console.log(
    `  getSession + touch / bare GetItem             p50 ×${result.ratioToGetItem.p50.toFixed(2)}   p99 ×${result.ratioToGetItem.p99.toFixed(2)}`,
  );
  console.log(
    `  getSession + touch / Map lookup               p50 ×${(result.getAndTouch.p50Ms / baseline.mapLookup.p50Ms).toFixed(0)}   p99 ×${(result.getAndTouch.p99Ms / baseline.mapLookup.p99Ms).toFixed(0)}`,
  );
  console.log(
    `  difference to bare GetItem (cache off)       p50 ${ms(result.getAndTouch.p50Ms - baseline.getItem.p50Ms)}   p99 ${ms(result.getAndTouch.p99Ms - baseline.getItem.p99Ms)}`,
  );
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  printResult(await runSessionStoreBench());
}
