/**
 * Every method a client sends in a session, measured on the kit's server (R2) and on the plain SDK
 * server (R1; R1s, its sessionful wiring, where only it has the method) in the same run, at the
 * same connection count, alternating the servers round by round. One line of `METHOD_BENCHES` per
 * method: a method added to it (and to `CLIENT_STEPS` in capture.ts, so its request is captured)
 * is measured, compared and checked against its floor.
 */
import type { BenchChild } from './children.js';
import { replayHeaders, type CapturedExchange, type CapturedRequest } from './capture.js';
import { runLoad, type LoadFigures, type LoadSpec } from './load.js';

export type ServerName = 'R0' | 'R1' | 'R1s' | 'R2';
export type Era = 'modern' | 'legacy';

export interface Target {
  readonly name: ServerName;
  readonly url: string;
  readonly child: BenchChild;
  /** Legacy session per connection, when the server mints them. */
  sessions: string[];
}

export interface MethodBench {
  readonly era: Era;
  /** The JSON-RPC method, or `DELETE` (the HTTP request that ends a legacy session). */
  readonly method: string;
  /** The plain SDK server it is compared with. */
  readonly baseline: 'R1' | 'R1s';
  /** Least R2/baseline ratio of requests per second. */
  readonly floor: number;
  /** Whether a good answer's body looks right (a 2xx status is required as well). */
  readonly verify: (body: string) => boolean;
}

const ok = (body: string) => body.includes('"result"') && !body.includes('"error":');

export const METHOD_BENCHES: readonly MethodBench[] = [
  { era: 'legacy', method: 'initialize', baseline: 'R1', floor: 1, verify: (body) => ok(body) && body.includes('"protocolVersion"') },
  { era: 'legacy', method: 'tools/list', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"tools"') },
  { era: 'legacy', method: 'tools/call', baseline: 'R1', floor: 2, verify: (body) => ok(body) && !body.includes('"isError":true') },
  { era: 'legacy', method: 'resources/read', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"contents"') && body.includes('onboarding') },
  { era: 'legacy', method: 'prompts/get', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"messages"') && body.includes('docs://documents/onboarding') },
  { era: 'legacy', method: 'DELETE', baseline: 'R1s', floor: 1, verify: () => true },
  { era: 'modern', method: 'server/discover', baseline: 'R1', floor: 1, verify: ok },
  { era: 'modern', method: 'tools/list', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"tools"') },
  { era: 'modern', method: 'tools/call', baseline: 'R1', floor: 2, verify: (body) => ok(body) && !body.includes('"isError":true') },
  { era: 'modern', method: 'resources/read', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"contents"') && body.includes('onboarding') },
  { era: 'modern', method: 'prompts/get', baseline: 'R1', floor: 2, verify: (body) => ok(body) && body.includes('"messages"') && body.includes('docs://documents/onboarding') },
];

/** Sessions opened for each DELETE run, per server (75 principals at the cap of 20): a few seconds of load, so the start of the run weighs little. */
const DELETE_POOL = 1500;

export interface MethodRun {
  readonly bench: MethodBench;
  readonly server: ServerName;
  readonly rounds: LoadFigures[];
  /** CPU microseconds the server's process used during the measured runs, and their wall seconds. */
  cpuMicros: number;
  wallSeconds: number;
}

export interface MethodContext {
  readonly targets: ReadonlyMap<ServerName, Target>;
  readonly captured: Readonly<Record<Era, CapturedExchange>>;
  /** One token per connection, whose sessions `Target.sessions` holds. */
  readonly tokens: readonly string[];
  /** Principals of their own for `initialize` (their oldest sessions are replaced at the cap). */
  readonly initializeTokens: readonly string[];
  /** Principals of their own for DELETE, each holding at most `sessionsPerOwner` sessions. */
  readonly deleteTokens: readonly string[];
  readonly sessionsPerOwner: number;
  readonly eras: readonly Era[];
  readonly connections: number;
  readonly seconds: number;
  readonly warmup: number;
  readonly rounds: number;
  /** Only the methods named `<era>:<method>` here (default: every one). */
  readonly only?: ReadonlySet<string>;
  /** Extra runs alternating with the servers, e.g. the bare store write beside `initialize`. */
  readonly beside?: (bench: MethodBench) => (() => Promise<void>) | undefined;
}

/** The request a method replays, from the captured exchange of its era. */
function requestOf(bench: MethodBench, exchange: CapturedExchange): CapturedRequest | undefined {
  if (bench.method === 'DELETE') return exchange.toolsCall;
  return exchange.byMethod.get(bench.method);
}

function sessionHeaders(target: Target, era: Era, index: number): Record<string, string> {
  const id = era === 'legacy' ? target.sessions[index] : undefined;
  return id ? { 'mcp-session-id': id } : {};
}

/** Opens `perToken` legacy sessions for each token, 10 at a time; returns token and session pairs. */
async function openPool(target: Target, opening: CapturedRequest, tokens: readonly string[], perToken: number, size: number): Promise<Array<{ token: string; id: string }>> {
  const jobs: string[] = [];
  for (let round = 0; round < perToken; round += 1) for (const token of tokens) if (jobs.length < size) jobs.push(token);
  const pool: Array<{ token: string; id: string }> = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (next < jobs.length) {
        const token = jobs[next++]!;
        const response = await fetch(target.url, { method: 'POST', headers: { ...replayHeaders(opening), authorization: `Bearer ${token}` }, body: opening.body });
        await response.arrayBuffer();
        const id = response.headers.get('mcp-session-id');
        if (response.status === 200 && id) pool.push({ token, id });
      }
    }),
  );
  return pool;
}

/** The load of one method on one server. `undefined` when the server does not have the method. */
async function specFor(bench: MethodBench, target: Target, context: MethodContext, seconds: number): Promise<LoadSpec | undefined> {
  const exchange = context.captured[bench.era];
  const request = requestOf(bench, exchange);
  if (!request) return undefined;
  const base = { url: target.url, headers: replayHeaders(request), connections: context.connections, seconds, verify: bench.verify };
  if (bench.method === 'initialize') {
    return { ...base, body: request.body, perConnection: (index) => ({ authorization: `Bearer ${context.initializeTokens[index % context.initializeTokens.length]}` }) };
  }
  if (bench.method === 'DELETE') {
    // Sessions of principals that leave the cap untouched: the newest of each, up to the cap.
    const pool = await openPool(target, exchange.opening, context.deleteTokens, context.sessionsPerOwner, DELETE_POOL);
    let next = 0;
    const protocolVersion = replayHeaders(exchange.toolsCall)['mcp-protocol-version'] ?? '2025-11-25';
    return {
      ...base,
      method: 'DELETE',
      body: '',
      headers: { 'mcp-protocol-version': protocolVersion },
      amount: pool.length,
      seconds: Math.max(seconds, 30),
      perRequest: () => {
        const entry = pool[next++ % pool.length]!;
        return { authorization: `Bearer ${entry.token}`, 'mcp-session-id': entry.id };
      },
    };
  }
  return {
    ...base,
    body: request.body,
    perConnection: (index) => ({ authorization: `Bearer ${context.tokens[index % context.tokens.length]}`, ...sessionHeaders(target, bench.era, index) }),
  };
}

/** Longest wait for a server to go quiet before a measured window. */
const SETTLE_LIMIT_MS = 5_000;
/** A server counts as quiet when it used less CPU than this share of a 250 ms interval. */
const QUIET_SHARE = 0.05;

/**
 * Waits until `child` has used under 5 % of a core over 250 ms (after its export interval of one
 * second at least has passed), or 5 s at most.
 */
async function settled(child: BenchChild): Promise<void> {
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  let last = await child.cpuUsage();
  while (performance.now() - started < SETTLE_LIMIT_MS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const now = await child.cpuUsage();
    const used = now.user - last.user + (now.system - last.system);
    last = now;
    if (used < QUIET_SHARE * 250_000) return;
  }
}

/** Runs every method bench of the selected eras; servers alternate within each round. */
export async function runMethodBenches(context: MethodContext, benches: readonly MethodBench[] = METHOD_BENCHES): Promise<MethodRun[]> {
  const runs: MethodRun[] = [];
  for (const bench of benches) {
    if (!context.eras.includes(bench.era)) continue;
    if (context.only && !context.only.has(`${bench.era}:${bench.method}`)) continue;
    const servers = (['R2', bench.baseline] as const).map((name) => context.targets.get(name)).filter((t): t is Target => t !== undefined);
    const byServer = new Map<ServerName, MethodRun>();
    for (let round = 0; round < context.rounds; round += 1) {
      for (const target of servers) {
        if (context.warmup > 0 && bench.method !== 'DELETE') {
          const warm = await specFor(bench, target, context, context.warmup);
          if (warm) await runLoad(warm);
        }
        const spec = await specFor(bench, target, context, context.seconds);
        if (!spec) continue;
        // DELETE's sessions were opened just now: their span export, log writes and garbage are the
        // opening's cost, not DELETE's, so the CPU window starts once the server has gone quiet.
        if (bench.method === 'DELETE') await settled(target.child);
        const before = await target.child.cpuUsage();
        const figures = await runLoad(spec);
        const after = await target.child.cpuUsage();
        const run = byServer.get(target.name) ?? { bench, server: target.name, rounds: [], cpuMicros: 0, wallSeconds: 0 };
        run.rounds.push(figures);
        if (before && after) {
          run.cpuMicros += after.user - before.user + (after.system - before.system);
          run.wallSeconds += figures.seconds;
        }
        byServer.set(target.name, run);
      }
      await context.beside?.(bench)?.();
    }
    runs.push(...byServer.values());
  }
  return runs;
}
