/**
 * `npm run bench`: the kit's hardened request path measured side by side with bare baselines, on
 * loopback, in one run.
 *
 * - R0: a bare `node:http` JSON-RPC echo (the floor of this machine).
 * - R1: a plain MCP server on the same SDK (2.4.0), no authentication, one echo tool, written the
 *   documented way: `createMcpHandler(factory)` for both eras (its default stateless fallback for
 *   2025-era requests). R1s, for reference in the legacy era: the SDK's sessionful 2025 wiring
 *   (transports in a Map).
 * - R2: the kit with everything on (JWT from the dev issuer verified against its JWKS, durable
 *   legacy sessions in dynalite, policy, strict validation, credential check, output filters, access
 *   logs to a file, spans over OTLP/HTTP protobuf to a local sink, EMF metrics), with an echo tool in its catalog.
 *
 * Every server runs in its own child process. autocannon drives `tools/call` at each connection
 * count, in both eras, alternating the servers; then every method a client sends in a session
 * (`bench/lib/methods.ts`: initialize, tools/list, tools/call, DELETE; server/discover, tools/list,
 * tools/call) at 10 connections against the plain SDK server, `initialize` also against bare
 * conditional PutItem calls on the same store; the CPU time R2 spends per request and what a million
 * authenticated tool calls cost on Fargate at list price for the configured task size; start-up
 * time, idle memory, the heap of R2 before and after, and the existing filter and session-store
 * benchmarks. The floors are checked and printed as PASS/FAIL; the exit code is 0 either way.
 *
 *   npm run bench [-- --seconds 5 --warmup 1.5 --rounds 2 --connections 1,10,50 --servers R0,R1,R2
 *                     --eras modern,legacy --profile --no-extras --no-methods --no-sweep
 *                     --methods legacy:initialize,modern:tools/list --config config/example.json]
 *
 * `--profile` runs R2 under `--cpu-prof` and prints its top entries by self time (the profiler
 * slows R2 down, so the floors are not meaningful in that mode).
 */
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { devEnvironment, freePort } from '../runtime/src/dev/environment.js';
import { DEV_AWS_ENVIRONMENT } from '../runtime/src/dev/store.js';
import { requestDevToken } from '../runtime/src/dev/token-request.js';
import { printFilterBench, runFilterBench } from './filters.js';
import { loadDeploymentConfig } from '../lib/config.js';
import { SESSION_STORE_DEFAULTS } from '../runtime/src/session/index.js';
import { captureClientRequests, replayHeaders, type CapturedExchange } from './lib/capture.js';
import { BenchChild } from './lib/children.js';
import { fargateCost, FARGATE_LIST_PRICE, type TaskSize } from './lib/cost.js';
import { runLoad, type LoadFigures } from './lib/load.js';
import { runMethodBenches, type Era, type MethodRun, type ServerName, type Target } from './lib/methods.js';
import { runPutBaseline, type PutBaseline } from './lib/store-baseline.js';
import { printProfile, summariseProfile } from './lib/profile.js';
import { runSessionStoreBench, type LatencySummary } from './session-store.js';


const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1.5' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '1,10,50' },
    servers: { type: 'string', default: 'R0,R1,R1s,R2' },
    eras: { type: 'string', default: 'modern,legacy' },
    profile: { type: 'boolean', default: false },
    'profile-server': { type: 'string', default: 'R2' },
    /** Skip the per-method runs (initialize, tools/list, DELETE, server/discover, ...). */
    'no-methods': { type: 'boolean', default: false },
    /** Only these per-method runs, e.g. `legacy:initialize,modern:tools/list` (default: all). */
    methods: { type: 'string' },
    /** Skip the tools/call sweep over the connection counts (the per-method runs still measure tools/call). */
    'no-sweep': { type: 'boolean', default: false },
    /** Deployment configuration whose task size prices the requests (its last environment). */
    config: { type: 'string', default: 'config/example.json' },
    /** Keep the .cpuprofile files in this folder (they are deleted with the work folder otherwise). */
    'profile-keep': { type: 'string' },
    'no-extras': { type: 'boolean', default: false },
    /** `compiled` (tsc, as the container image runs it) or `src` (the TypeScript sources through tsx). */
    'r2-from': { type: 'string', default: 'compiled' },
    /** A runtime already compiled elsewhere (for example an older commit's), used instead of compiling. */
    'r2-runtime': { type: 'string' },
  },
  strict: true,
});

const SECONDS = Number(flags.seconds);
const WARMUP = Number(flags.warmup);
const ROUNDS = Number(flags.rounds);
const CONNECTIONS = flags.connections.split(',').map(Number);
const SELECTED = new Set(flags.servers.split(',') as ServerName[]);
const ERAS = flags.eras.split(',') as Era[];
const MAX_CONNECTIONS = Math.max(...CONNECTIONS, 10);
/** Connections of the per-method runs (the issue's figures are at 10). */
const METHOD_CONNECTIONS = 10;
/** Principals holding the sessions the DELETE runs end. */
const DELETE_PRINCIPALS = 75;

/** The echo text; every real success carries it back. */
const MARKER = 'bench-echo-7f3a';
const ECHO_ARGS = { text: `hello from ${MARKER}` };

function isSuccess(body: string): boolean {
  return body.includes(MARKER) && body.includes('"result"') && !body.includes('"isError":true') && !body.includes('"error":');
}

/** The task size of the configuration's last environment (production in the example). */
function configuredTaskSize(path: string): TaskSize & { readonly label: string } {
  const environments = loadDeploymentConfig(path).environments;
  const env = environments[environments.length - 1]!;
  const { cpu, memoryMiB } = env.service;
  return { vcpu: cpu / 1024, memoryGb: memoryMiB / 1024, label: `${env.name} in ${path}: cpu ${cpu}, memory ${memoryMiB} MiB` };
}

function isInitializeSuccess(body: string): boolean {
  return body.includes('"protocolVersion"') && body.includes('"result"') && !body.includes('"error":');
}

interface Row {
  readonly era: Era;
  readonly connections: number;
  readonly server: ServerName;
  readonly rounds: LoadFigures[];
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
const fixed = (value: number, digits = 2) => value.toFixed(digits);

function mean(values: readonly number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
}

function summary(row: Row): { rps: number; p50: number; p99: number; errors: number; non2xx: number; socket: number; bad: number; responses: number } {
  return {
    rps: mean(row.rounds.map((r) => r.requestsPerSecond)),
    p50: mean(row.rounds.map((r) => r.p50Ms)),
    p99: mean(row.rounds.map((r) => r.p99Ms)),
    errors: row.rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: row.rounds.reduce((sum, r) => sum + r.non2xx, 0),
    socket: row.rounds.reduce((sum, r) => sum + r.socketErrors, 0),
    bad: row.rounds.reduce((sum, r) => sum + r.badBodies, 0),
    responses: row.rounds.reduce((sum, r) => sum + r.responses, 0),
  };
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Opens one legacy session per connection (initialize + notifications/initialized), as a 2025-era client does. */
async function openSessions(target: Target, legacy: CapturedExchange, tokens: readonly string[]): Promise<string[]> {
  const sessions: string[] = [];
  for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
    const auth = { authorization: `Bearer ${tokens[i]}` };
    const opened = await post(target.url, { ...replayHeaders(legacy.opening), ...auth }, legacy.opening.body);
    if (opened.status !== 200 || !isInitializeSuccess(opened.text)) throw new Error(`${target.name}: initialize failed: ${opened.status} ${opened.text.slice(0, 300)}`);
    const id = opened.headers.get('mcp-session-id') ?? '';
    if (legacy.initialized) {
      const note = await post(target.url, { ...replayHeaders(legacy.initialized), ...auth, ...(id ? { 'mcp-session-id': id } : {}) }, legacy.initialized.body);
      if (note.status !== 202 && note.status !== 200) throw new Error(`${target.name}: notifications/initialized failed: ${note.status} ${note.text.slice(0, 300)}`);
    }
    sessions.push(id);
  }
  return sessions;
}

async function closeSessions(target: Target, legacy: CapturedExchange, tokens: readonly string[]): Promise<{ ended: number; of: number }> {
  let ended = 0;
  const open = target.sessions.filter((id) => id !== '');
  for (const [i, id] of target.sessions.entries()) {
    if (!id) continue;
    const response = await fetch(target.url, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tokens[i]}`, 'mcp-session-id': id, 'mcp-protocol-version': replayHeaders(legacy.toolsCall)['mcp-protocol-version'] ?? '2025-11-25' },
    });
    await response.arrayBuffer();
    if (response.status === 204 || response.status === 200) ended += 1;
  }
  return { ended, of: open.length };
}

function loadSpec(target: Target, era: Era, exchange: CapturedExchange, tokens: readonly string[], connections: number, seconds: number) {
  return {
    url: target.url,
    body: exchange.toolsCall.body,
    headers: replayHeaders(exchange.toolsCall),
    perConnection: (index: number) => ({
      authorization: `Bearer ${tokens[index % tokens.length]}`,
      ...(era === 'legacy' && target.sessions[index] ? { 'mcp-session-id': target.sessions[index]! } : {}),
    }),
    connections,
    seconds,
    verify: isSuccess,
  };
}

function printRow(name: string, figures: ReturnType<typeof summary>, rounds: readonly LoadFigures[]): void {
  const perRound = rounds.map((r) => r.requestsPerSecond.toFixed(0)).join(' / ');
  console.log(
    `    ${name.padEnd(4)} ${figures.rps.toFixed(0).padStart(7)} req/s   p50 ${fixed(figures.p50).padStart(6)} ms   p99 ${fixed(figures.p99).padStart(6)} ms   errors ${String(figures.errors).padStart(4)} (non-2xx ${figures.non2xx}, socket ${figures.socket}, body ${figures.bad})   rounds ${perRound}`,
  );
}

/**
 * Compiles the runtime with `runtime/tsconfig.build.json`, as the container image build does, into
 * a folder under node_modules/.cache (inside the repository, so that its imports resolve).
 */
function compileRuntime(): string {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const outDir = join(root, 'node_modules', '.cache', 'enterprise-mcp-bench', `runtime-${process.pid}`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const started = performance.now();
  execFileSync(process.execPath, [tsc, '-p', join(root, 'runtime', 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false'], { stdio: 'inherit' });
  // Outside any package scope of its own: mark the output as ES modules, as runtime/package.json does.
  writeFileSync(join(outDir, 'package.json'), '{ "type": "module" }\n');
  console.log(`R2 runs the runtime compiled by tsc (runtime/tsconfig.build.json, as in the container image), built in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return outDir;
}

/** Prints the per-method table, the store baseline and the Fargate cost; returns the issue-15 floors. */
function reportMethods(runs: readonly MethodRun[], puts: readonly PutBaseline[], task: TaskSize & { readonly label: string }): Array<{ name: string; pass: boolean; detail: string }> {
  const floors: Array<{ name: string; pass: boolean; detail: string }> = [];
  if (runs.length === 0) return floors;
  const rate = (run: MethodRun | undefined) => (run ? mean(run.rounds.map((r) => r.requestsPerSecond)) : NaN);
  const errors = (run: MethodRun | undefined) => (run ? run.rounds.reduce((sum, r) => sum + r.errors, 0) : 0);
  const cpuPerRequest = (run: MethodRun | undefined) => {
    const responses = run ? run.rounds.reduce((sum, r) => sum + r.responses, 0) : 0;
    return run && responses > 0 ? run.cpuMicros / responses : NaN;
  };
  console.log(`\nEvery method of a session, ${METHOD_CONNECTIONS} connections (mean of rounds; CPU per request from process.cpuUsage() in each server's process: CPU base/R2 is the load-independent view of the same comparison)`);
  console.log('  era     method             R2 req/s  base        base req/s   R2/base  floor  R2 p50 ms  R2 p99 ms  R2 CPU µs/req  base CPU µs/req  CPU base/R2  errors R2/base');
  const seen = new Set<string>();
  for (const run of runs) {
    const key = `${run.bench.era} ${run.bench.method}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const r2 = runs.find((r) => r.server === 'R2' && r.bench === run.bench);
    const base = runs.find((r) => r.server === run.bench.baseline && r.bench === run.bench);
    const ratio = rate(r2) / rate(base);
    const cpu = cpuPerRequest(r2);
    const baseCpu = cpuPerRequest(base);
    const p50 = r2 ? mean(r2.rounds.map((r) => r.p50Ms)) : NaN;
    const p99 = r2 ? mean(r2.rounds.map((r) => r.p99Ms)) : NaN;
    console.log(
      `  ${run.bench.era.padEnd(7)} ${run.bench.method.padEnd(17)} ${rate(r2).toFixed(0).padStart(9)}  ${run.bench.baseline.padEnd(4)} ${rate(base).toFixed(0).padStart(16)} ${fixed(ratio).padStart(8)} ${`×${run.bench.floor}`.padStart(6)} ${fixed(p50).padStart(10)} ${fixed(p99).padStart(10)} ${cpu.toFixed(0).padStart(14)} ${baseCpu.toFixed(0).padStart(16)} ${fixed(baseCpu / cpu).padStart(12)}  ${errors(r2)}/${errors(base)}`,
    );
    for (const r of [r2, base]) {
      const bad = r?.rounds.find((f) => f.firstBadBody !== undefined)?.firstBadBody;
      if (bad !== undefined) console.log(`    ${r!.server} first failing answer: ${bad.slice(0, 300)}`);
    }
    if (r2 && base) {
      floors.push({
        name: `${run.bench.era} ${run.bench.method}: R2/${run.bench.baseline} ≥ ${run.bench.floor}, zero errors`,
        pass: ratio >= run.bench.floor && errors(r2) === 0,
        detail: `R2 ${rate(r2).toFixed(0)} req/s / ${run.bench.baseline} ${rate(base).toFixed(0)} req/s = ${fixed(ratio)}; R2 errors ${errors(r2)}`,
      });
    }
  }
  const initialize = runs.find((r) => r.server === 'R2' && r.bench.method === 'initialize');
  if (initialize && puts.length > 0) {
    const putRate = mean(puts.map((p) => p.writesPerSecond));
    const ratio = rate(initialize) / putRate;
    console.log(`\nBare conditional PutItem on the same dynalite store, ${METHOD_CONNECTIONS} callers, same client settings: ${putRate.toFixed(0)} writes/s (rounds ${puts.map((p) => p.writesPerSecond.toFixed(0)).join(' / ')}, errors ${puts.reduce((sum, p) => sum + p.errors, 0)})`);
    console.log(`  R2 legacy initialize (token verified, session written in one conditional PutItem): ${rate(initialize).toFixed(0)}/s = ${fixed(ratio)} × the bare write`);
    const plain = runs.find((r) => r.server === initialize.bench.baseline && r.bench === initialize.bench);
    const writeCpu = mean(puts.map((p) => p.clientCpuMicrosPerWrite));
    console.log(
      `  client CPU of one bare write: ${writeCpu.toFixed(0)} µs (rounds ${puts.map((p) => p.clientCpuMicrosPerWrite.toFixed(0)).join(' / ')}); R2 initialize ${cpuPerRequest(initialize).toFixed(0)} µs/req` +
        (plain ? `; ${plain.server} initialize (writes nothing) ${cpuPerRequest(plain).toFixed(0)} µs/req` : ''),
    );
    // What no initialize can beat on this request path: the write itself plus the cheapest request
    // the kit answered in this run (token verified, logged, traced, no store call), CPU against CPU.
    const cheapest = runs
      .filter((r) => r.server === 'R2' && r.bench.method !== 'initialize' && r.bench.method !== 'DELETE' && Number.isFinite(cpuPerRequest(r)))
      .sort((a, b) => cpuPerRequest(a) - cpuPerRequest(b))[0];
    if (cheapest) {
      const least = writeCpu + cpuPerRequest(cheapest);
      console.log(
        `  bound: one bare write + R2's cheapest request of this run (${cheapest.bench.era} ${cheapest.bench.method}, ${cpuPerRequest(cheapest).toFixed(0)} µs) = ${least.toFixed(0)} µs, ` +
          `so an initialize at that cost would be ${fixed(writeCpu / least)} × the bare write`,
      );
    }
    floors.push({ name: 'legacy initialize: R2 ≥ 0.8 × bare conditional PutItem', pass: ratio >= 0.8, detail: `${rate(initialize).toFixed(0)}/s / ${putRate.toFixed(0)}/s = ${fixed(ratio)}` });
  }
  console.log(`\nWhat a million authenticated tool calls cost on Fargate at list price (${task.label}; x86 Linux $${FARGATE_LIST_PRICE.vcpuHourUsd}/vCPU-h, $${FARGATE_LIST_PRICE.gbHourUsd}/GB-h, eu-west-1 and us-east-1)`);
  for (const era of ['legacy', 'modern'] as const) {
    const call = runs.find((r) => r.server === 'R2' && r.bench.era === era && r.bench.method === 'tools/call');
    if (!call || call.wallSeconds === 0) continue;
    const responses = call.rounds.reduce((sum, r) => sum + r.responses, 0);
    const cost = fargateCost(call.cpuMicros, call.wallSeconds, responses, task);
    console.log(
      `  ${era.padEnd(7)} ${(cost.cpuSecondsPerRequest * 1e6).toFixed(0)} µs CPU per call at ${(cost.utilisation * 100).toFixed(0)} % of a core → ${cost.requestsPerTaskSecond.toFixed(0)} calls/s per task; per million calls ${cost.vcpuSecondsPerMillion.toFixed(0)} vCPU-s + ${cost.gbSecondsPerMillion.toFixed(0)} GB-s = $${cost.usdPerMillion.toFixed(4)}`,
    );
  }
  console.log('  (the kit\'s task only: the load balancer, WAF, DynamoDB and data transfer are billed apart; the OpenTelemetry collector sidecar shares the task size)');
  return floors;
}

async function main(): Promise<void> {
  const benchStarted = performance.now();
  console.log(`MCP request-path benchmark — Node ${process.version}, ${SECONDS} s per run after ${WARMUP} s warm-up, ${ROUNDS} round(s), connections ${CONNECTIONS.join(', ')}`);
  console.log(`Machine: ${cpus().length} CPU(s), load average ${loadavg().map((value) => value.toFixed(2)).join(' ')} at start (other processes share these cores)`);
  if (flags.profile) console.log(`PROFILE MODE: ${flags['profile-server']} runs under --cpu-prof; its figures are slowed by the profiler.`);

  // The collector stand-in: an OTLP/HTTP endpoint on loopback that counts the exports it receives.
  let exportRequests = 0;
  let exportBytes = 0;
  const sink = createHttpServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      exportBytes += chunk.length;
    });
    req.on('end', () => {
      exportRequests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const sinkEndpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

  const workDir = join(tmpdir(), `enterprise-mcp-bench-${process.pid}`);
  mkdirSync(workDir, { recursive: true });
  const logFile = join(workDir, 'r2.log');
  const profileDir = join(workDir, 'profile');

  const given = flags['r2-runtime'];
  const r2Runtime = given ?? (flags['r2-from'] === 'src' ? 'src' : compileRuntime());
  if (given) console.log(`R2 runs the runtime compiled in ${given}`);

  const r2Port = await freePort();
  const resource = `http://127.0.0.1:${r2Port}/mcp`;
  const children: BenchChild[] = [];
  const targets = new Map<ServerName, Target>();
  try {
    const deps = await BenchChild.start('deps', 'deps.ts', { env: { BENCH_RESOURCE: resource } });
    children.push(deps);
    const depsInfo = deps.extra as { issuer: string; storeEndpoint: string; tableName: string };
    // The server's environment, as `npm run dev` and the tests build it; the only change from the
    // defaults: the per-principal rate limit is raised, because every benchmark principal sends
    // thousands of requests a minute (the limiter still runs on every request).
    const r2Env = {
      ...devEnvironment({ issuer: depsInfo.issuer, port: r2Port, ports: [r2Port], storeEndpoint: depsInfo.storeEndpoint, tableName: depsInfo.tableName }),
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkEndpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      MCP_RATE_LIMIT_PER_MINUTE: '1000000',
      POWERTOOLS_SERVICE_NAME: 'enterprise-mcp-bench',
    };
    const r2Store = {
      endpoint: depsInfo.storeEndpoint,
      credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
    };
    // Start-up, one server at a time so that none disturbs another's start.
    const profiled = (name: string) => (flags.profile && flags['profile-server'] === name ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    const r0 = await BenchChild.start('R0', 'r0-bare.ts', { nodeFlags: profiled('R0') });
    children.push(r0);
    const r1 = await BenchChild.start('R1', 'r1-sdk.ts', { nodeFlags: profiled('R1') });
    children.push(r1);
    const r2 = await BenchChild.start('R2', 'r2-kit.ts', {
      env: { BENCH_RUNTIME: r2Runtime, BENCH_ENV: JSON.stringify(r2Env), BENCH_STORE: JSON.stringify(r2Store), BENCH_LOG_FILE: logFile },
      nodeFlags: profiled('R2'),
    });
    children.push(r2);
    const all: Target[] = [
      { name: 'R0', url: `http://127.0.0.1:${r0.port}/mcp`, child: r0, sessions: [] },
      { name: 'R1', url: `http://127.0.0.1:${r1.port}/mcp`, child: r1, sessions: [] },
      { name: 'R1s', url: `http://127.0.0.1:${r1.port}/mcp-sessionful`, child: r1, sessions: [] },
      { name: 'R2', url: resource, child: r2, sessions: [] },
    ];
    for (const target of all) if (SELECTED.has(target.name)) targets.set(target.name, target);

    const idle = new Map<string, NodeJS.MemoryUsage>();
    for (const child of [r0, r1, r2]) idle.set(child.name, await child.memory());

    // Tokens: one principal per connection, every scope of the catalog, from the real dev issuer.
    const issuer = deps.extra as { tokenEndpoint: string; clientId: string; clientSecret: string; scopes: string[] };
    const tokens: string[] = [];
    for (let i = 0; i < MAX_CONNECTIONS; i += 1) {
      tokens.push((await requestDevToken(issuer, { sub: `bench-user-${i}`, scopes: issuer.scopes, groups: ['staff'], resource })).accessToken);
    }
    // initialize uses principals of its own, so that replacing their oldest sessions at the cap
    // never touches the sessions the other runs use; DELETE ends sessions of principals of its own.
    const initializeTokens: string[] = [];
    for (let i = 0; i < METHOD_CONNECTIONS; i += 1) {
      initializeTokens.push((await requestDevToken(issuer, { sub: `bench-init-${i}`, scopes: issuer.scopes, groups: ['staff'], resource })).accessToken);
    }
    const deleteTokens: string[] = [];
    if (!flags['no-methods'] && ERAS.includes('legacy')) {
      for (let i = 0; i < DELETE_PRINCIPALS; i += 1) {
        deleteTokens.push((await requestDevToken(issuer, { sub: `bench-delete-${i}`, scopes: issuer.scopes, groups: ['staff'], resource })).accessToken);
      }
    }

    // The exact requests of the official v2 client, captured from a real exchange with R1; the
    // same client against R2 proves the kit answers them (with a token).
    const captured = {
      modern: await captureClientRequests(`http://127.0.0.1:${r1.port}/mcp`, 'modern', 'echo', ECHO_ARGS),
      legacy: await captureClientRequests(`http://127.0.0.1:${r1.port}/mcp`, 'legacy', 'echo', ECHO_ARGS),
    };
    for (const era of ['modern', 'legacy'] as const) {
      await captureClientRequests(resource, era, 'echo', ECHO_ARGS, { authorization: `Bearer ${tokens[0]}` });
    }
    console.log('\nReplayed requests (captured from @modelcontextprotocol/client 2.4.0):');
    for (const era of ['modern', 'legacy'] as const) {
      const call = captured[era].toolsCall;
      console.log(`  ${era}: headers ${JSON.stringify(replayHeaders(call))}`);
      console.log(`  ${era}: body    ${call.body}`);
    }

    if (ERAS.includes('legacy')) {
      for (const target of targets.values()) {
        if (target.name === 'R0') continue;
        target.sessions = await openSessions(target, captured.legacy, tokens);
      }
    }

    // Warm every server on both eras before anything is measured.
    for (const target of targets.values()) {
      for (const era of ERAS) {
        if (era === 'modern' && target.name === 'R1s') continue;
        await runLoad(loadSpec(target, era, captured[era], tokens, 10, Math.max(1, WARMUP)));
      }
    }
    const r2Before = targets.has('R2') ? await r2.memory() : undefined;

    // tools/call: per configuration, the servers alternate (R0, R1, R2, R0, R1, R2, ...).
    const rows: Row[] = [];
    for (const era of flags['no-sweep'] ? [] : ERAS) {
      for (const connections of CONNECTIONS) {
        const order = [...targets.values()].filter((target) => !(era === 'modern' && target.name === 'R1s'));
        const byServer = new Map<ServerName, Row>(order.map((target) => [target.name, { era, connections, server: target.name, rounds: [] }]));
        for (let round = 0; round < ROUNDS; round += 1) {
          for (const target of order) {
            if (WARMUP > 0) await runLoad(loadSpec(target, era, captured[era], tokens, connections, WARMUP));
            byServer.get(target.name)!.rounds.push(await runLoad(loadSpec(target, era, captured[era], tokens, connections, SECONDS)));
          }
        }
        console.log(`\n  ${era} tools/call, ${connections} connection(s)`);
        for (const row of byServer.values()) {
          printRow(row.server, summary(row), row.rounds);
          rows.push(row);
        }
        for (const row of byServer.values()) {
          const bad = row.rounds.find((r) => r.firstBadBody !== undefined)?.firstBadBody;
          if (bad !== undefined) console.log(`    ${row.server} first failing answer: ${bad.slice(0, 300)}`);
        }
      }
    }

    // Every method a client sends, at 10 connections; initialize also against bare conditional
    // PutItem calls on the same store, alternating with the servers round by round.
    const putBaselines: PutBaseline[] = [];
    let methodRuns: MethodRun[] = [];
    if (!flags['no-methods']) {
      methodRuns = await runMethodBenches({
        targets,
        captured,
        tokens,
        initializeTokens,
        deleteTokens,
        sessionsPerOwner: SESSION_STORE_DEFAULTS.maxSessionsPerOwner,
        eras: ERAS,
        connections: METHOD_CONNECTIONS,
        seconds: SECONDS,
        warmup: WARMUP,
        rounds: ROUNDS,
        ...(flags.methods ? { only: new Set(flags.methods.split(',')) } : {}),
        beside: (bench) =>
          bench.method === 'initialize' && targets.has('R2')
            ? async () => {
                putBaselines.push(
                  await runPutBaseline({ ...r2Store, tableName: depsInfo.tableName, connections: METHOD_CONNECTIONS, seconds: SECONDS, warmupSeconds: WARMUP }),
                );
              }
            : undefined,
      });
    }

    const r2After = targets.has('R2') ? await r2.memory() : undefined;
    const samples = new Map<ServerName, string | undefined>();
    for (const row of rows) if (row.era === 'modern') samples.set(row.server, samples.get(row.server) ?? row.rounds[0]?.sampleBody);
    const legacySamples = new Map<ServerName, string | undefined>();
    for (const row of rows) if (row.era === 'legacy') legacySamples.set(row.server, legacySamples.get(row.server) ?? row.rounds[0]?.sampleBody);

    const deleted = new Map<ServerName, { ended: number; of: number }>();
    for (const target of targets.values()) if (target.name === 'R2' || target.name === 'R1s') deleted.set(target.name, await closeSessions(target, captured.legacy, tokens));

    for (const child of [...children].reverse()) await child.stop();
    children.length = 0;

    // ---- report -------------------------------------------------------------------------------
    console.log('\nSample answers (first response of each server):');
    for (const [name, body] of samples) console.log(`  modern ${name.padEnd(3)} ${body?.replace(/\s+/g, ' ').slice(0, 220)}`);
    for (const [name, body] of legacySamples) console.log(`  legacy ${name.padEnd(3)} ${body?.replace(/\s+/g, ' ').slice(0, 220)}`);

    console.log('\nStart-up and idle memory (after GC in the child)');
    console.log('  server   spawn→listening   in-process   RSS idle   heap used idle');
    for (const child of [r0, r1, r2]) {
      const usage = idle.get(child.name)!;
      console.log(`  ${child.name.padEnd(6)} ${child.startupMs.toFixed(0).padStart(10)} ms ${child.readyMs.toFixed(0).padStart(9)} ms ${mb(usage.rss).padStart(8)} MB ${mb(usage.heapUsed).padStart(10)} MB`);
    }
    console.log('  (spawn→listening includes Node start and loading the scripts through tsx; R2\'s runtime itself is the compiled JS unless');
    console.log('   --r2-from src; in-process is performance.now() at listen; R2\'s JWKS is fetched on the first request, not at start)');

    let logLines = 0;
    let emfLines = 0;
    let logBytes = 0;
    try {
      const text = readFileSync(logFile, 'utf8');
      logBytes = statSync(logFile).size;
      for (const line of text.split('\n')) {
        if (line.length === 0) continue;
        logLines += 1;
        if (line.includes('"_aws"')) emfLines += 1;
      }
    } catch {
      // no log file when R2 was not selected
    }
    if (targets.has('R2')) {
      console.log('\nR2 observability output during the run');
      console.log(`  log file: ${logLines} lines (${mb(logBytes)} MB), of which ${emfLines} EMF metric records; OTLP sink: ${exportRequests} export requests (${mb(exportBytes)} MB)`);
      for (const [name, result] of deleted) console.log(`  ${name}: DELETE ended ${result.ended} of ${result.of} legacy sessions`);
    }
    if (r2Before && r2After) {
      console.log('\nR2 memory after GC');
      console.log(`  before the run: heap used ${mb(r2Before.heapUsed)} MB, RSS ${mb(r2Before.rss)} MB`);
      console.log(`  after the run:  heap used ${mb(r2After.heapUsed)} MB, RSS ${mb(r2After.rss)} MB`);
      console.log(`  difference:     heap ${mb(r2After.heapUsed - r2Before.heapUsed)} MB`);
    }

    // ---- summary table and floors -------------------------------------------------------------
    const find = (era: Era, connections: number, server: ServerName) => rows.find((row) => row.era === era && row.connections === connections && row.server === server);
    console.log('\nSummary: tools/call (mean of rounds; latency in ms)');
    const names = ([...targets.keys()] as ServerName[]).filter((name) => name !== 'R1s');
    const header = ['era', 'conns', ...names.flatMap((name) => [`${name} req/s`, `${name} p50`, `${name} p99`, `${name} err`]), 'R2/R1', 'R2/R0', 'R2/R1s'];
    console.log(`  ${header.map((cell, i) => (i < 2 ? cell.padEnd(6) : cell.padStart(9))).join(' ')}`);
    for (const era of ERAS) {
      for (const connections of CONNECTIONS) {
        const cells: string[] = [era, String(connections)];
        const figures = new Map<ServerName, ReturnType<typeof summary>>();
        for (const name of [...names, 'R1s' as const]) {
          const row = find(era, connections, name);
          if (row) figures.set(name, summary(row));
        }
        for (const name of names) {
          const f = figures.get(name);
          cells.push(f ? f.rps.toFixed(0) : '-', f ? fixed(f.p50) : '-', f ? fixed(f.p99) : '-', f ? String(f.errors) : '-');
        }
        const r2f = figures.get('R2');
        const ratio = (other: ServerName) => (r2f && figures.get(other) ? fixed(r2f.rps / figures.get(other)!.rps) : '-');
        cells.push(ratio('R1'), ratio('R0'), ratio('R1s'));
        console.log(`  ${cells.map((cell, i) => (i < 2 ? cell.padEnd(6) : cell.padStart(9))).join(' ')}`);
      }
    }

    const methodFloors = reportMethods(methodRuns, putBaselines, configuredTaskSize(flags.config));

    const floors: Array<{ name: string; pass: boolean; detail: string }> = [];
    const top = Math.max(...CONNECTIONS);
    for (const era of ERAS) {
      const r1row = find(era, top, 'R1');
      const r2row = find(era, top, 'R2');
      if (!r1row || !r2row) continue;
      const a = summary(r2row);
      const b = summary(r1row);
      floors.push({
        name: `${era}: R2/R1 ≥ 1.0 on tools/call at ${top} connections, zero errors`,
        pass: a.rps / b.rps >= 1 && a.errors === 0,
        detail: `R2 ${a.rps.toFixed(0)} req/s / R1 ${b.rps.toFixed(0)} req/s = ${fixed(a.rps / b.rps)}; R2 errors ${a.errors} of ${a.responses} (R1 errors ${b.errors})`,
      });
      floors.push({
        name: `${era}: p99 R2 ≤ p99 R1 at ${top} connections`,
        pass: a.p99 <= b.p99,
        detail: `R2 ${fixed(a.p99)} ms vs R1 ${fixed(b.p99)} ms`,
      });
    }
    if (r2Before && r2After) {
      const grown = (r2After.heapUsed - r2Before.heapUsed) / 1024 / 1024;
      floors.push({ name: 'R2 heap after the run within 10 MB of before', pass: Math.abs(grown) <= 10, detail: `${mb(r2Before.heapUsed)} MB → ${mb(r2After.heapUsed)} MB (${grown >= 0 ? '+' : ''}${grown.toFixed(1)} MB)` });
    }
    console.log('\nFloors (issue 7)');
    if (top !== 50) console.log(`  (the issue sets the floors at 50 connections; this run's largest is ${top})`);
    for (const floor of floors) console.log(`  ${floor.pass ? 'PASS' : 'FAIL'}  ${floor.name}: ${floor.detail}`);
    if (methodFloors.length > 0) {
      console.log(`\nFloors (issue 15), ${METHOD_CONNECTIONS} connections, ratios against baselines measured in this run`);
      for (const floor of methodFloors) console.log(`  ${floor.pass ? 'PASS' : 'FAIL'}  ${floor.name}: ${floor.detail}`);
    }
    if (flags.profile) console.log(`  (profile mode: ${flags['profile-server']} ran under the profiler, these verdicts do not count)`);

    if (flags.profile) {
      // One file per thread; the main thread's is the largest (the others belong to module loading).
      const files = readdirSync(profileDir)
        .filter((name) => name.endsWith('.cpuprofile'))
        .map((name) => join(profileDir, name))
        .sort((a, b) => statSync(b).size - statSync(a).size);
      if (files[0]) printProfile(summariseProfile(files[0]), `${flags['profile-server']} CPU profile, main thread`);
      if (files[0] && flags['profile-keep']) {
        mkdirSync(flags['profile-keep'], { recursive: true });
        copyFileSync(files[0], join(flags['profile-keep'], `${flags['profile-server']}-${Date.now()}.cpuprofile`));
      }
    }

    if (!flags['no-extras']) {
      console.log('\n---- existing benchmarks ----\n');
      printFilterBench(await runFilterBench());
      const store = await runSessionStoreBench();
      const ms = (value: number) => (value < 0.1 ? `${(value * 1000).toFixed(1)} µs` : `${value.toFixed(3)} ms`);
      const line = (name: string, s: LatencySummary) => console.log(`  ${name.padEnd(44)} p50 ${ms(s.p50Ms).padStart(10)}   p99 ${ms(s.p99Ms).padStart(10)}   mean ${ms(s.meanMs).padStart(10)}`);
      console.log('\nSession store against dynalite on loopback');
      console.log(`  session creations, sequential                ${store.creations.sequentialPerSecond.toFixed(0)} /s`);
      console.log(`  session creations, ${String(store.creations.concurrency).padStart(2)} in flight               ${store.creations.concurrentPerSecond.toFixed(0)} /s`);
      line('baseline: in-memory Map lookup', store.baseline.mapLookup);
      line('baseline: bare GetItem round-trip', store.baseline.getItem);
      line('getSession + touch (cache off)', store.getAndTouch);
      line('getSession + touch, touch writes every time', store.getAndTouchWriting);
      line('getSession + touch (5 s cache)', store.getAndTouchCached);
      console.log(`  getSession + touch / bare GetItem             p50 ×${store.ratioToGetItem.p50.toFixed(2)}   p99 ×${store.ratioToGetItem.p99.toFixed(2)}`);
    }
    console.log(`\nBenchmark finished in ${((performance.now() - benchStarted) / 1000).toFixed(0)} s; load average ${loadavg().map((value) => value.toFixed(2)).join(' ')} at the end.`);
  } finally {
    for (const child of children.reverse()) await child.stop().catch(() => undefined);
    sink.closeAllConnections();
    sink.close();
    rmSync(workDir, { recursive: true, force: true });
    if (r2Runtime !== 'src' && !given) rmSync(r2Runtime, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
