// Soak: drives tens of thousands of mixed requests through the real server (in this process, with
// the real dev issuer; dynalite on loopback in a child process) and checks that memory and resources
// come back: heap after GC at start and end, active resources by type, the tool concurrency map, and
// the server's global in-flight count (probed at its cap after the run).
//
//   npm run bench:soak                       (node --expose-gc --import tsx bench/soak.ts)
//   npm run bench:soak -- --requests 20000   (fewer requests; also --lanes, --warmup, --seed, --early-aborts)
//   npm run bench:soak -- --store-in-process (dynalite in this process too, as the test harness runs it)
//   SOAK_HEAPSNAPSHOT_DIR=/tmp/soak npm run bench:soak   (also writes heap snapshots at start and end)
//
// Every answer is checked against what its category must produce (status, JSON-RPC error, tool error
// text). The run passes when every answer is as expected, the heap grew by less than 5 MB, active
// resources are back to their starting count, the concurrency limiter holds no entry, and nothing is
// still counted in flight. Exit code 0 on pass, 1 otherwise.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { connect } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics, setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../runtime/src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../runtime/src/tools/definition.js';
import { LoopbackClient, parseMaybeSse, type RawResponse } from './soak/http.js';
import { startSoakKit, type SoakKit } from './soak/kit.js';
import { occupyThreadPool } from './soak/threadpool.js';

// ---------------------------------------------------------------------------------------------
// Test-only tools

/** Deadline of the stubborn tool, and how long its handler really runs (it never looks at its signal). */
export const SLOW_DEADLINE_MS = 250;
export const SLOW_HANDLER_MS = 1_000;
/** When a client gives up on a slow call. */
export const ABORT_AFTER_MS = 100;
/** How long the thread pool is kept busy around a connection closed before its body was read. */
export const EARLY_ABORT_POOL_MS = 10;

const stubborn = defineTool({
  name: 'soak_stubborn',
  title: 'Ignores its deadline',
  description: 'Sleeps for the given time without looking at its abort signal.',
  input: z.strictObject({ ms: z.number().int().min(0).max(2_000) }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: SLOW_DEADLINE_MS,
  // A lane starts at most one slow call per 100 ms (an abort) and each handler runs 1 s: 16 slots never run out.
  concurrencyPerPrincipal: 16,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async ({ ms }) => {
    await sleep(ms);
    return { content: [{ type: 'text', text: 'done' }] };
  },
});

const echo = defineTool({
  name: 'soak_echo',
  title: 'Echo',
  description: 'Returns the text it is given.',
  input: z.strictObject({ text: z.string().max(2_000), nested: z.strictObject({ note: z.string().max(100) }).optional() }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ text }) => ({ content: [{ type: 'text', text }] }),
});

export const SOAK_TOOLS = [...DEFAULT_TOOLS, stubborn, echo] as ToolDefinition[];

// ---------------------------------------------------------------------------------------------
// Categories and the schedule

/** Every kind of operation, with the answer it must produce. */
export const CATEGORIES = [
  { name: 'modern.whoami', era: 'modern', expected: '200, own identity' },
  { name: 'modern.echo', era: 'modern', expected: '200, text back (PII redacted)' },
  { name: 'modern.report', era: 'modern', expected: '200, report of 0 steps' },
  { name: 'modern.notes_add', era: 'modern', expected: '200, note stored' },
  { name: 'modern.notes_list', era: 'modern', expected: '200, note listed' },
  { name: 'modern.notes_remove', era: 'modern', expected: '200, notebook empty' },
  { name: 'modern.discover', era: 'modern', expected: '200, supported versions' },
  { name: 'modern.tools_list', era: 'modern', expected: '200, the principal\'s tools' },
  { name: 'modern.resources_read', era: 'modern', expected: '200, document index' },
  { name: 'modern.prompts_get', era: 'modern', expected: '200, prompt with the document' },
  { name: 'sdk.v2_client', era: 'modern', expected: 'v2 client: discover + whoami' },
  { name: 'legacy.initialize', era: 'legacy', expected: '200, Mcp-Session-Id' },
  { name: 'legacy.initialized', era: 'legacy', expected: '202' },
  { name: 'legacy.call', era: 'legacy', expected: '200, whoami / echo' },
  { name: 'legacy.list', era: 'legacy', expected: '200, tools / document index / prompt' },
  { name: 'legacy.invalid', era: 'legacy', expected: 'isError, names the field' },
  { name: 'legacy.deadline', era: 'legacy', expected: 'isError at the deadline' },
  { name: 'legacy.abort', era: 'legacy', expected: 'client aborts at 100 ms' },
  { name: 'legacy.delete', era: 'legacy', expected: '204' },
  { name: 'legacy.gone', era: 'legacy', expected: '404 after DELETE' },
  { name: 'invalid.arguments', era: 'modern', expected: 'isError, field + rule, no value' },
  { name: 'invalid.credential', era: 'modern', expected: 'isError, credential refused' },
  { name: 'denied.hidden_tool', era: 'modern', expected: 'JSON-RPC -32602 Unknown tool' },
  { name: 'denied.no_scope', era: 'modern', expected: '403 insufficient_scope' },
  { name: 'auth.garbage', era: 'modern', expected: '401' },
  { name: 'auth.expired', era: 'modern', expected: '401' },
  { name: 'auth.wrong_audience', era: 'modern', expected: '401' },
  { name: 'auth.missing', era: 'modern', expected: '401' },
  { name: 'deadline', era: 'modern', expected: 'isError at the deadline' },
  { name: 'abort.slow_call', era: 'modern', expected: 'client aborts at 100 ms' },
  { name: 'abort.upload', era: 'modern', expected: 'client aborts mid-body' },
  { name: 'abort.before_body', era: 'modern', expected: 'client gone before body read' },
  { name: 'hostile.pipelined_unread', era: 'legacy', expected: '3 pipelined 2025-03-26 batches, client leaves' },
  { name: 'hostile.slow_body', era: 'modern', expected: '408: 1 byte of a declared 1000' },
  { name: 'hostile.wide_meta', era: 'modern', expected: '400: _meta of 88,000 keys' },
  { name: 'hostile.batch', era: 'legacy', expected: '2025-03-26 batch served, 2025-11-25 batch 400' },
  { name: 'probe.in_flight_cap', era: 'modern', expected: 'cap admitted, 4 × 503' },
] as const;

export type CategoryName = (typeof CATEGORIES)[number]['name'];
const CATEGORY_INDEX = new Map<CategoryName, number>(CATEGORIES.map((category, index) => [category.name, index]));
const C = (name: CategoryName): number => CATEGORY_INDEX.get(name)!;

/** HTTP requests each operation of a category sends (the v2 client: discover, then the call). */
// Raw-socket requests (the pipelined batches, the trickled body) are not counted by the client.
const REQUESTS_PER_OP: Partial<Record<CategoryName, number>> = { 'sdk.v2_client': 2, 'hostile.pipelined_unread': 1, 'hostile.slow_body': 0, 'hostile.batch': 3 };

/** Blocks a lane draws from, with their weight. Blocks keep multi-request flows (sessions, notes) together. */
const BLOCKS: ReadonlyArray<{ weight: number; ops: (random: () => number) => CategoryName[] }> = [
  { weight: 20, ops: () => ['modern.whoami'] },
  { weight: 14, ops: () => ['modern.echo'] },
  { weight: 1, ops: () => ['modern.report'] },
  { weight: 3, ops: () => ['modern.notes_add', 'modern.notes_list', 'modern.notes_remove'] },
  { weight: 0.3, ops: () => ['sdk.v2_client'] },
  { weight: 3, ops: () => ['modern.discover', 'modern.tools_list', 'modern.resources_read', 'modern.prompts_get'] },
  {
    weight: 2,
    ops: (random) => {
      const ops: CategoryName[] = ['legacy.initialize', 'legacy.initialized'];
      for (let call = 0; call < 8; call += 1) ops.push('legacy.call');
      for (let list = 0; list < 3; list += 1) ops.push('legacy.list');
      ops.push('legacy.invalid');
      const slow = random();
      if (slow < 0.12) ops.push('legacy.deadline');
      else if (slow < 0.24) ops.push('legacy.abort');
      ops.push('legacy.delete', 'legacy.gone');
      return ops;
    },
  },
  { weight: 7, ops: () => ['invalid.arguments'] },
  { weight: 2, ops: () => ['invalid.credential'] },
  { weight: 4, ops: () => ['denied.hidden_tool'] },
  { weight: 1.5, ops: () => ['denied.no_scope'] },
  { weight: 3, ops: () => ['auth.garbage'] },
  { weight: 2, ops: () => ['auth.expired'] },
  { weight: 2, ops: () => ['auth.wrong_audience'] },
  { weight: 1, ops: () => ['auth.missing'] },
  { weight: 0.8, ops: () => ['deadline'] },
  { weight: 0.8, ops: () => ['abort.slow_call'] },
  { weight: 0.4, ops: () => ['abort.upload'] },
  // One hostile principal's shapes, drawn by every lane among its ordinary traffic.
  { weight: 0.3, ops: () => ['hostile.pipelined_unread'] },
  { weight: 0.15, ops: () => ['hostile.slow_body'] },
  { weight: 0.3, ops: () => ['hostile.wide_meta'] },
  { weight: 0.5, ops: () => ['hostile.batch'] },
];

/** Body deadline of the soak's server: a trickled body is cut after about this long. */
const SOAK_BODY_TIMEOUT_SECONDS = 1;
/** Batches a hostile pipeline sends before it leaves (at most one principal's share of slots). */
const PIPELINED_BATCHES = 3;
const lists = (count: number) => JSON.stringify(Array.from({ length: count }, (_, index) => ({ jsonrpc: '2.0', id: index + 1, method: 'tools/list' })));
const TEN_LISTS = lists(10);
const THREE_LISTS = lists(3);
/** A 2026-07-28 tools/list whose `_meta` has 88,000 keys (about 935 KiB), built once before the start measurement. */
const WIDE_META_BODY = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'tools/list',
  params: { _meta: Object.fromEntries(Array.from({ length: 88_000 }, (_, index) => [`k${index}`, 1])) },
});
const TOTAL_WEIGHT = BLOCKS.reduce((sum, block) => sum + block.weight, 0);

/** A small seeded generator (mulberry32): the same seed gives the same schedule. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One lane's operations, as category indexes, drawn until they hold at least `requests` HTTP requests. */
function laneSchedule(seed: number, requests: number): Uint8Array {
  const random = seeded(seed);
  const ops: number[] = [];
  let sent = 0;
  while (sent < requests) {
    let pick = random() * TOTAL_WEIGHT;
    let block = BLOCKS[BLOCKS.length - 1]!;
    for (const candidate of BLOCKS) {
      pick -= candidate.weight;
      if (pick < 0) {
        block = candidate;
        break;
      }
    }
    for (const name of block.ops(random)) {
      ops.push(C(name));
      sent += REQUESTS_PER_OP[name] ?? 1;
    }
  }
  return Uint8Array.from(ops);
}

// ---------------------------------------------------------------------------------------------
// Tallies (allocated before the start measurement, so the soak's own bookkeeping does not grow)

class Tally {
  readonly ops = new Float64Array(CATEGORIES.length);
  readonly expected = new Float64Array(CATEGORIES.length);
  readonly latencies: Float64Array[];
  readonly filled = new Uint32Array(CATEGORIES.length);
  readonly samples: string[][] = CATEGORIES.map(() => []);

  constructor(capacity: readonly number[]) {
    this.latencies = capacity.map((size) => new Float64Array(size));
  }

  record(category: number, startedAt: number, failure: string | undefined): void {
    this.ops[category] = this.ops[category]! + 1;
    if (failure === undefined) this.expected[category] = this.expected[category]! + 1;
    else if (this.samples[category]!.length < 5) this.samples[category]!.push(failure.slice(0, 300));
    const slot = this.filled[category]!;
    const series = this.latencies[category]!;
    if (slot < series.length) {
      series[slot] = performance.now() - startedAt;
      this.filled[category] = slot + 1;
    }
  }

  percentile(category: number, fraction: number): number {
    const filled = this.filled[category]!;
    if (filled === 0) return NaN;
    const sorted = this.latencies[category]!.slice(0, filled).sort();
    return sorted[Math.min(filled - 1, Math.floor(fraction * filled))]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Answer checks

interface RpcAnswer {
  result?: {
    content?: Array<{ type: string; text?: string }>;
    isError?: boolean;
    structuredContent?: Record<string, unknown>;
    protocolVersion?: string;
    supportedVersions?: string[];
    tools?: Array<{ name?: string }>;
    contents?: unknown[];
    messages?: unknown[];
  };
  error?: { code: number; message: string };
}

function rpc(response: RawResponse): RpcAnswer | undefined {
  try {
    return parseMaybeSse(response.text) as RpcAnswer | undefined;
  } catch {
    return undefined;
  }
}

function brief(response: RawResponse): string {
  return `status ${response.status}: ${response.text.slice(0, 200)}`;
}

function textOf(answer: RpcAnswer | undefined): string {
  return (answer?.result?.content ?? []).map((block) => block.text ?? '').join('');
}

/** A successful tool result that satisfies `accept`. */
function okResult(response: RawResponse, accept: (answer: RpcAnswer) => boolean): string | undefined {
  if (response.status !== 200) return brief(response);
  const answer = rpc(response);
  if (!answer?.result || answer.result.isError === true || !accept(answer)) return brief(response);
  return undefined;
}

/** A tool error result whose text matches `pattern` and does not contain `absent`. */
function toolError(response: RawResponse, pattern: RegExp, absent?: string): string | undefined {
  if (response.status !== 200) return brief(response);
  const answer = rpc(response);
  const text = textOf(answer);
  if (answer?.result?.isError !== true || !pattern.test(text) || !/Correlation id: 1-[0-9a-f]{8}-[0-9a-f]{24}\.$/.test(text)) return brief(response);
  if (absent !== undefined && text.includes(absent)) return `value echoed: ${brief(response)}`;
  return undefined;
}

function statusIs(response: RawResponse, status: number, header?: [string, RegExp]): string | undefined {
  if (response.status !== status) return brief(response);
  if (header) {
    const value = response.headers[header[0]];
    if (typeof value !== 'string' || !header[1].test(value)) return `header ${header[0]}=${String(value)}: ${brief(response)}`;
  }
  return undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

// ---------------------------------------------------------------------------------------------
// The run

export interface SoakOptions {
  /** HTTP requests of the measured phase (at least; whole blocks are kept). @default 60000 */
  readonly requests?: number;
  /** HTTP requests of the warm-up before the start measurement. @default 2000 */
  readonly warmup?: number;
  /** Lanes working in parallel, each a separate principal sending one request at a time. @default 24 */
  readonly lanes?: number;
  /**
   * Connections, after the lanes are done and one at a time, that send headers and half a body with
   * a token the server has not cached and close while the server is still verifying it. Each one the
   * server never finishes holds a global in-flight slot for good; the probe that follows counts them.
   * At most the in-flight cap. @default 24
   */
  readonly earlyAborts?: number;
  /** Seed of the schedule. @default 1 */
  readonly seed?: number;
  /** Quiet time before each measurement, longer than every keep-alive of the loopback peers (5 s). @default 6000 */
  readonly settleMs?: number;
  /** Heap-growth floor in MB. @default 5 */
  readonly heapFloorMb?: number;
  /**
   * Run dynalite in this process, as the test harness does. Its memory then counts too, and dynalite
   * 4.0.0 leaks a level iterator per Query (see `bench/soak/store-process.ts`). @default false
   */
  readonly storeInProcess?: boolean;
  /** Writes heap snapshots at the start and end measurement into this directory. */
  readonly heapSnapshotDir?: string;
  /** Progress lines (the result itself is printed by `printSoak`). @default none */
  readonly progress?: (line: string) => void;
}

/** Heap and active resources after GC at one point. */
export interface SoakMeasurement {
  readonly heapUsed: number;
  /** Memory of ArrayBuffers and Buffers outside the JS heap (reported, not part of the floor). */
  readonly arrayBuffers: number;
  readonly resources: Readonly<Record<string, number>>;
  readonly resourceCount: number;
  readonly snapshot?: string;
}

export interface SoakCategoryRow {
  readonly name: CategoryName;
  readonly era: string;
  readonly expected: string;
  readonly ops: number;
  readonly asExpected: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: readonly string[];
}

export interface SoakResult {
  readonly requests: number;
  readonly warmupRequests: number;
  readonly lanes: number;
  readonly seed: number;
  readonly storeInProcess: boolean;
  readonly durationMs: number;
  readonly totalMs: number;
  readonly categories: readonly SoakCategoryRow[];
  readonly start: SoakMeasurement;
  readonly end: SoakMeasurement;
  readonly heapGrowthMb: number;
  readonly heapFloorMb: number;
  readonly limiterSize: number;
  readonly inFlightCap: number;
  /** The probe's answers: slow calls admitted, and 503s (4 when the server's in-flight count was back at 0). */
  readonly probe: { readonly admitted: number; readonly refused: number; readonly other: number };
  readonly logLines: number;
  readonly errorLogLines: number;
  /** ERROR log lines of the whole run (warm-up included) by where / tool / cause. */
  readonly errorKinds: Readonly<Record<string, number>>;
  readonly checks: ReadonlyArray<{ readonly name: string; readonly pass: boolean; readonly detail: string }>;
  readonly pass: boolean;
}

/** `global.gc`, made available when node was started without `--expose-gc`. */
function collector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

function countResources(): { byType: Record<string, number>; total: number } {
  const byType: Record<string, number> = {};
  const all = process.getActiveResourcesInfo();
  for (const type of all) byType[type] = (byType[type] ?? 0) + 1;
  return { byType, total: all.length };
}

interface Lane {
  readonly index: number;
  readonly subject: string;
  readonly full: string;
  readonly restricted: string;
  readonly noScope: string;
  session: string | undefined;
  deletedSession: string | undefined;
  noteId: string | undefined;
  readonly counters: Uint32Array;
}

interface Shared {
  readonly kit: SoakKit;
  readonly client: LoopbackClient;
  readonly tally: Tally;
  readonly modern: { headers: Record<string, string>; body: Record<string, unknown> & { params: Record<string, unknown> } };
  readonly wrongAudience: string;
  readonly expired: string;
  /** Client connections to close as soon as the server has parsed their headers, by Authorization header. */
  readonly closeOnArrival: Map<string, () => void>;
  nextId: number;
}

const LEGACY_VERSION = '2025-11-25';
const EMAIL = 'dana.lopez@example.org';
const GARBAGE = ['not-a-token', 'a.b.c', 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl', 'x'.repeat(600)];
const CREDENTIALS = ['AKIAIOSFODNN7EXAMPLE', 'ghp_1234567890abcdefghijklmnopqrstuvwxyzAB', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----'];
const HIDDEN = ['notes_add', 'soak_echo', 'generate_report', 'search_documents', 'soak_stubborn'];

function deepArguments(): Record<string, unknown> {
  let nested: unknown = 'x';
  for (let depth = 0; depth < 20; depth += 1) nested = { a: nested };
  return { text: 'hi', nested };
}

const INVALID: ReadonlyArray<{ tool: string; args: () => Record<string, unknown>; pattern: RegExp; value?: string }> = [
  { tool: 'soak_echo', args: () => ({ text: 'hi', zebra_key: 'zebra-value' }), pattern: /arguments has a field it does not take/, value: 'zebra-value' },
  { tool: 'notes_add', args: () => ({ text: 'zebra-unicorn-'.repeat(90) }), pattern: /text must be at most 1000 characters/, value: 'zebra' },
  { tool: 'soak_stubborn', args: () => ({ ms: 'zebra' }), pattern: /ms must be a number \(got a string\)/, value: 'zebra' },
  { tool: 'soak_echo', args: deepArguments, pattern: /must nest at most 12 levels/ },
  { tool: 'whoami', args: () => ({ extra: 1 }), pattern: /arguments must be empty: this takes no fields/ },
];

function modernRequest(shared: Shared, token: string | undefined, name: string, args: Record<string, unknown>): { headers: Record<string, string>; body: string } {
  shared.nextId += 1;
  const body = JSON.stringify({ ...shared.modern.body, id: shared.nextId, params: { ...shared.modern.body.params, name, arguments: args } });
  const headers: Record<string, string> = { ...shared.modern.headers, 'mcp-name': name };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return { headers, body };
}

function modernCall(shared: Shared, token: string | undefined, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<RawResponse> {
  const { headers, body } = modernRequest(shared, token, name, args);
  return shared.client.send(shared.kit.url, 'POST', headers, body, signal ? { signal } : {});
}

/** A 2026-07-28 request of any method, with the captured envelope; `name` goes in `Mcp-Name`. */
function modernMethod(shared: Shared, token: string, method: string, params: Record<string, unknown>, name?: string): Promise<RawResponse> {
  shared.nextId += 1;
  const body = JSON.stringify({ jsonrpc: '2.0', id: shared.nextId, method, params: { ...params, _meta: shared.modern.body.params._meta } });
  const headers: Record<string, string> = { ...shared.modern.headers, 'mcp-method': method, authorization: `Bearer ${token}` };
  delete headers['mcp-name'];
  if (name !== undefined) headers['mcp-name'] = name;
  return shared.client.send(shared.kit.url, 'POST', headers, body);
}

/** The methods besides tools/call, with their params, `Mcp-Name` and what a good answer holds (both eras). */
const LIST_METHODS = [
  { method: 'tools/list', params: {}, accept: (answer: RpcAnswer) => Array.isArray(answer.result?.tools) && answer.result.tools.some((tool) => tool.name === 'whoami') },
  {
    method: 'resources/read',
    params: { uri: 'docs://documents' },
    name: 'docs://documents',
    accept: (answer: RpcAnswer) => JSON.stringify(answer.result?.contents ?? []).includes('onboarding'),
  },
  {
    method: 'prompts/get',
    params: { name: 'summarize_document', arguments: { id: 'onboarding' } },
    name: 'summarize_document',
    accept: (answer: RpcAnswer) => JSON.stringify(answer.result?.messages ?? []).includes('docs://documents/onboarding'),
  },
] as const;

function legacyHeaders(lane: Lane, session: string | undefined): Record<string, string> {
  return {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${lane.full}`,
    'mcp-protocol-version': LEGACY_VERSION,
    ...(session !== undefined ? { 'mcp-session-id': session } : {}),
  };
}

function legacyCall(shared: Shared, lane: Lane, session: string | undefined, name: string, args: Record<string, unknown>, signal?: AbortSignal): Promise<RawResponse> {
  shared.nextId += 1;
  const body = JSON.stringify({ jsonrpc: '2.0', id: shared.nextId, method: 'tools/call', params: { name, arguments: args } });
  return shared.client.send(shared.kit.url, 'POST', legacyHeaders(lane, session), body, signal ? { signal } : {});
}

function isWhoami(lane: Lane) {
  return (answer: RpcAnswer) => answer.result?.structuredContent?.subject === lane.subject;
}

/** Sends a request that the client aborts after `afterMs`; the expected outcome is the abort itself. */
async function aborted(run: (signal: AbortSignal) => Promise<RawResponse>, afterMs: number): Promise<string | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), afterMs);
  try {
    const response = await run(controller.signal);
    return `answered before the abort: ${brief(response)}`;
  } catch (error) {
    return isAbort(error) ? undefined : `unexpected error ${String(error)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs one operation of a lane and records its outcome. Never throws. */
async function runOp(shared: Shared, lane: Lane, category: number): Promise<void> {
  const name = CATEGORIES[category]!.name;
  const variant = lane.counters[category]!;
  lane.counters[category] = variant + 1;
  const started = performance.now();
  let failure: string | undefined;
  try {
    failure = await operation(shared, lane, name, variant);
  } catch (error) {
    failure = `threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
  }
  shared.tally.record(category, started, failure);
}

async function operation(shared: Shared, lane: Lane, name: CategoryName, variant: number): Promise<string | undefined> {
  const { client, kit } = shared;
  switch (name) {
    case 'modern.whoami':
      return okResult(await modernCall(shared, lane.full, 'whoami', {}), isWhoami(lane));
    case 'modern.echo': {
      if (variant % 4 === 3) {
        const text = `Reach me at ${EMAIL} today`;
        return okResult(await modernCall(shared, lane.full, 'soak_echo', { text }), (answer) => {
          const out = textOf(answer);
          return out.includes('[REDACTED:') && !out.includes(EMAIL);
        });
      }
      const text = `echo ${lane.index}/${variant}`;
      return okResult(await modernCall(shared, lane.full, 'soak_echo', { text }), (answer) => textOf(answer) === text);
    }
    case 'modern.report':
      return okResult(await modernCall(shared, lane.full, 'generate_report', { seconds: 0 }), (answer) => answer.result?.structuredContent?.steps === 0);
    case 'modern.notes_add': {
      const text = `note ${variant} of ${lane.subject}`;
      const response = await modernCall(shared, lane.full, 'notes_add', { text });
      lane.noteId = undefined;
      return okResult(response, (answer) => {
        const notes = (answer.result?.structuredContent?.notes ?? []) as Array<{ id: string; text: string }>;
        const note = notes.find((candidate) => candidate.text === text);
        lane.noteId = note?.id;
        return note !== undefined && notes.length === 1;
      });
    }
    case 'modern.notes_list': {
      const id = lane.noteId;
      if (id === undefined) return 'no note to list (the add failed)';
      return okResult(await modernCall(shared, lane.full, 'notes_list', {}), (answer) =>
        ((answer.result?.structuredContent?.notes ?? []) as Array<{ id: string }>).some((note) => note.id === id),
      );
    }
    case 'modern.notes_remove': {
      const id = lane.noteId;
      lane.noteId = undefined;
      if (id === undefined) return 'no note to remove (the add failed)';
      return okResult(await modernCall(shared, lane.full, 'notes_remove', { id }), (answer) => ((answer.result?.structuredContent?.notes ?? []) as unknown[]).length === 0);
    }
    case 'modern.discover':
      return okResult(await modernMethod(shared, lane.full, 'server/discover', {}), (answer) => JSON.stringify(answer.result?.supportedVersions) === '["2026-07-28"]');
    case 'modern.tools_list':
    case 'modern.resources_read':
    case 'modern.prompts_get': {
      const { method, params, accept, ...rest } = LIST_METHODS[name === 'modern.tools_list' ? 0 : name === 'modern.resources_read' ? 1 : 2]!;
      return okResult(await modernMethod(shared, lane.full, method, params, 'name' in rest ? rest.name : undefined), accept);
    }
    case 'sdk.v2_client': {
      const sdk = new Client({ name: 'soak-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
      const transport = new StreamableHTTPClientTransport(new URL(kit.url), { fetch: client.fetch, requestInit: { headers: { authorization: `Bearer ${lane.full}` } } });
      await sdk.connect(transport);
      try {
        if (sdk.getNegotiatedProtocolVersion() !== '2026-07-28') return `negotiated ${String(sdk.getNegotiatedProtocolVersion())}`;
        const result = await sdk.callTool({ name: 'whoami', arguments: {} });
        const subject = (result.structuredContent as { subject?: string } | undefined)?.subject;
        return result.isError !== true && subject === lane.subject ? undefined : `whoami answered ${JSON.stringify(result).slice(0, 200)}`;
      } finally {
        await sdk.close();
      }
    }
    case 'legacy.initialize': {
      shared.nextId += 1;
      const body = JSON.stringify({
        jsonrpc: '2.0',
        id: shared.nextId,
        method: 'initialize',
        params: { protocolVersion: LEGACY_VERSION, capabilities: {}, clientInfo: { name: 'soak-legacy', version: '1.0.0' } },
      });
      const headers = legacyHeaders(lane, undefined);
      delete headers['mcp-protocol-version'];
      const response = await client.send(kit.url, 'POST', headers, body);
      const session = response.headers['mcp-session-id'];
      lane.session = typeof session === 'string' ? session : undefined;
      if (response.status !== 200 || lane.session === undefined || !/^[A-Za-z0-9_-]{45}$/.test(lane.session)) return brief(response);
      return rpc(response)?.result?.protocolVersion === LEGACY_VERSION ? undefined : brief(response);
    }
    case 'legacy.initialized': {
      if (lane.session === undefined) return 'no session (initialize failed)';
      const response = await client.send(kit.url, 'POST', legacyHeaders(lane, lane.session), JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
      return statusIs(response, 202);
    }
    case 'legacy.call': {
      if (lane.session === undefined) return 'no session (initialize failed)';
      if (variant % 2 === 0) return okResult(await legacyCall(shared, lane, lane.session, 'whoami', {}), isWhoami(lane));
      const text = `legacy echo ${lane.index}/${variant}`;
      return okResult(await legacyCall(shared, lane, lane.session, 'soak_echo', { text }), (answer) => textOf(answer) === text);
    }
    case 'legacy.list': {
      if (lane.session === undefined) return 'no session (initialize failed)';
      const { method, params, accept } = LIST_METHODS[variant % LIST_METHODS.length]!;
      shared.nextId += 1;
      const body = JSON.stringify({ jsonrpc: '2.0', id: shared.nextId, method, params });
      return okResult(await client.send(kit.url, 'POST', legacyHeaders(lane, lane.session), body), accept);
    }
    case 'legacy.invalid': {
      if (lane.session === undefined) return 'no session (initialize failed)';
      const invalid = INVALID[variant % INVALID.length]!;
      return toolError(await legacyCall(shared, lane, lane.session, invalid.tool, invalid.args()), invalid.pattern, invalid.value);
    }
    case 'legacy.deadline': {
      const session = lane.session;
      if (session === undefined) return 'no session (initialize failed)';
      const response = await legacyCall(shared, lane, session, 'soak_stubborn', { ms: SLOW_HANDLER_MS });
      return toolError(response, /^The tool did not finish within its deadline\./);
    }
    case 'legacy.abort': {
      const session = lane.session;
      if (session === undefined) return 'no session (initialize failed)';
      return aborted((signal) => legacyCall(shared, lane, session, 'soak_stubborn', { ms: SLOW_HANDLER_MS }, signal), ABORT_AFTER_MS);
    }
    case 'legacy.delete': {
      const session = lane.session;
      lane.session = undefined;
      lane.deletedSession = session;
      if (session === undefined) return 'no session (initialize failed)';
      const headers = legacyHeaders(lane, session);
      delete headers['content-type'];
      return statusIs(await client.send(kit.url, 'DELETE', headers), 204);
    }
    case 'legacy.gone': {
      const session = lane.deletedSession;
      lane.deletedSession = undefined;
      if (session === undefined) return 'no deleted session (initialize failed)';
      return statusIs(await legacyCall(shared, lane, session, 'whoami', {}), 404);
    }
    case 'invalid.arguments': {
      const invalid = INVALID[variant % INVALID.length]!;
      return toolError(await modernCall(shared, lane.full, invalid.tool, invalid.args()), invalid.pattern, invalid.value);
    }
    case 'invalid.credential': {
      const value = CREDENTIALS[variant % CREDENTIALS.length]!;
      return toolError(await modernCall(shared, lane.full, 'soak_echo', { text: value }), /look like they contain a credential/, value.slice(0, 12));
    }
    case 'denied.hidden_tool': {
      const tool = HIDDEN[variant % HIDDEN.length]!;
      const response = await modernCall(shared, lane.restricted, tool, tool === 'soak_stubborn' ? { ms: 0 } : {});
      const answer = rpc(response);
      if (response.status !== 200 || answer?.error?.code !== -32602 || answer.error.message !== `Unknown tool: ${tool}`) return brief(response);
      return undefined;
    }
    case 'denied.no_scope':
      return statusIs(await modernCall(shared, lane.noScope, 'whoami', {}), 403, ['www-authenticate', /insufficient_scope/]);
    case 'auth.garbage':
      return statusIs(await modernCall(shared, GARBAGE[variant % GARBAGE.length], 'whoami', {}), 401, ['www-authenticate', /^Bearer /]);
    case 'auth.expired':
      return statusIs(await modernCall(shared, shared.expired, 'whoami', {}), 401, ['www-authenticate', /^Bearer /]);
    case 'auth.wrong_audience':
      return statusIs(await modernCall(shared, shared.wrongAudience, 'whoami', {}), 401, ['www-authenticate', /^Bearer /]);
    case 'auth.missing':
      return statusIs(await modernCall(shared, undefined, 'whoami', {}), 401, ['www-authenticate', /^Bearer /]);
    case 'deadline': {
      const started = performance.now();
      const response = await modernCall(shared, lane.full, 'soak_stubborn', { ms: SLOW_HANDLER_MS });
      const elapsed = performance.now() - started;
      const failure = toolError(response, /^The tool did not finish within its deadline\./);
      if (failure === undefined && elapsed >= SLOW_HANDLER_MS) return `answered after the handler finished (${elapsed.toFixed(0)} ms)`;
      return failure;
    }
    case 'abort.slow_call':
      return aborted((signal) => modernCall(shared, lane.full, 'soak_stubborn', { ms: SLOW_HANDLER_MS }, signal), ABORT_AFTER_MS);
    case 'abort.upload': {
      const { headers, body } = modernRequest(shared, lane.full, 'whoami', {});
      return aborted((signal) => client.send(kit.url, 'POST', headers, body, { signal, partialBody: true }), 20);
    }
    case 'abort.before_body': {
      // A token the server has not cached and a busy thread pool keep the server verifying the
      // signature; the client closes the connection the moment the server has parsed the headers
      // (seen on the server's request channel), so the close always lands before the body is read.
      const token = await kit.freshToken(lane.subject);
      const { headers, body } = modernRequest(shared, token, 'whoami', {});
      const busy = occupyThreadPool(EARLY_ABORT_POOL_MS);
      try {
        const response = await client.send(kit.url, 'POST', headers, body, {
          partialBody: true,
          onRequest: (request) => {
            shared.closeOnArrival.set(`Bearer ${token}`, () => request.destroy(Object.assign(new Error('closed by the client'), { name: 'AbortError' })));
          },
        });
        return `answered before the client closed: ${brief(response)}`;
      } catch (error) {
        return isAbort(error) ? undefined : `unexpected error ${String(error)}`;
      } finally {
        shared.closeOnArrival.delete(`Bearer ${token}`);
        await busy;
      }
    }
    case 'hostile.pipelined_unread': {
      const session = await batchSession(shared, lane);
      if (typeof session !== 'string') return session.failure;
      return pipelineAndLeave(shared, lane, session);
    }
    case 'hostile.slow_body': {
      const answer = await rawExchange(shared, modernRawHead(shared, lane.full, 1000), '{');
      return answer.startsWith('HTTP/1.1 408 ') ? undefined : `answered ${answer.slice(0, 120)}`;
    }
    case 'hostile.wide_meta': {
      const headers: Record<string, string> = { ...shared.modern.headers, authorization: `Bearer ${lane.full}`, 'mcp-method': 'tools/list' };
      delete headers['mcp-name'];
      const response = await client.send(kit.url, 'POST', headers, WIDE_META_BODY);
      return response.status === 400 && rpc(response)?.error?.code === -32600 ? undefined : brief(response);
    }
    case 'hostile.batch': {
      const session = await batchSession(shared, lane);
      if (typeof session !== 'string') return session.failure;
      const headers = { ...legacyHeaders(lane, session), 'mcp-protocol-version': '2025-03-26' };
      const served = await client.send(kit.url, 'POST', headers, THREE_LISTS);
      if (served.status !== 200 || served.text.match(/"tools":/g)?.length !== 3) return brief(served);
      // The same batch announced as 2025-11-25, a revision without batches.
      return statusIs(await client.send(kit.url, 'POST', legacyHeaders(lane, session), THREE_LISTS), 400);
    }
    case 'probe.in_flight_cap':
      throw new Error('the probe is not a lane operation');
  }
}

/** A new 2025-03-26 session of the lane's principal (the revision that has batches). */
async function batchSession(shared: Shared, lane: Lane): Promise<string | { failure: string }> {
  shared.nextId += 1;
  const headers = legacyHeaders(lane, undefined);
  delete headers['mcp-protocol-version'];
  const body = JSON.stringify({ jsonrpc: '2.0', id: shared.nextId, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'soak-hostile', version: '1.0.0' } } });
  const response = await shared.client.send(shared.kit.url, 'POST', headers, body);
  const session = response.headers['mcp-session-id'];
  return response.status === 200 && typeof session === 'string' ? session : { failure: `initialize: ${brief(response)}` };
}

function modernRawHead(shared: Shared, token: string, contentLength: number): string {
  const { host, pathname } = new URL(shared.kit.url);
  const headers: Record<string, string> = { ...shared.modern.headers, 'mcp-name': 'whoami', authorization: `Bearer ${token}`, 'content-length': String(contentLength) };
  return [`POST ${pathname} HTTP/1.1`, `host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n');
}

/** Sends `head` and `body` on a fresh connection and returns everything the server wrote until it closed. */
function rawExchange(shared: Shared, head: string, body: string): Promise<string> {
  const { port } = new URL(shared.kit.url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${head}\r\n\r\n${body}`));
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

/** Pipelines batches without reading their answers, then closes the connection once the first bytes arrive. */
function pipelineAndLeave(shared: Shared, lane: Lane, session: string): Promise<string | undefined> {
  const { host, pathname, port } = new URL(shared.kit.url);
  const headers = { ...legacyHeaders(lane, session), 'mcp-protocol-version': '2025-03-26', 'content-length': String(Buffer.byteLength(TEN_LISTS)) };
  const request = `${[`POST ${pathname} HTTP/1.1`, `host: ${host}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join('\r\n')}\r\n\r\n${TEN_LISTS}`;
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(request.repeat(PIPELINED_BATCHES)));
    socket.once('data', () => {
      socket.pause();
      socket.destroy();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(undefined));
  });
}

async function runLanes(shared: Shared, lanes: readonly Lane[], schedules: readonly Uint8Array[]): Promise<void> {
  await Promise.all(
    lanes.map(async (lane, index) => {
      for (const category of schedules[index]!) await runOp(shared, lane, category);
    }),
  );
}

/**
 * Fills the global in-flight cap with slow calls and sends 4 more: exactly 4 must be refused with 503.
 * If the server's in-flight counter had leaked by k during the soak, k + 4 would be.
 */
async function probeInFlightCap(shared: Shared, lanes: readonly Lane[], cap: number): Promise<{ admitted: number; refused: number; other: number }> {
  const category = C('probe.in_flight_cap');
  const started = performance.now();
  const answers = await Promise.allSettled(
    Array.from({ length: cap + 4 }, (_, index) => modernCall(shared, lanes[index % lanes.length]!.full, 'soak_stubborn', { ms: SLOW_HANDLER_MS })),
  );
  let deadline = 0;
  let refused = 0;
  const other: string[] = [];
  for (const answer of answers) {
    if (answer.status === 'rejected') other.push(String(answer.reason));
    else if (answer.value.status === 503) refused += 1;
    else if (toolError(answer.value, /^The tool did not finish within its deadline\./) === undefined) deadline += 1;
    else other.push(brief(answer.value));
  }
  const failure = deadline === cap && refused === 4 && other.length === 0 ? undefined : `${deadline} deadline answers, ${refused} × 503, other: ${other.slice(0, 2).join(' | ')}`;
  shared.tally.record(category, started, failure);
  return { admitted: deadline, refused, other: other.length };
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) return false;
    await sleep(20);
  }
  return true;
}

/**
 * Lets everything settle (slow handlers finish, the soak's own sockets are closed, the keep-alive of
 * every loopback peer runs out), then collects garbage and measures.
 */
async function measure(shared: Shared, settleMs: number, gc: () => void, snapshotPath?: string, target?: number): Promise<SoakMeasurement> {
  await waitUntil(() => shared.kit.app.limiter.size === 0, 10_000);
  shared.client.close();
  await sleep(settleMs);
  // Resources close asynchronously; give them a little more time to reach the target (or stop changing).
  let previous = countResources().total;
  const until = Date.now() + 10_000;
  for (let stable = 0; stable < 3 && Date.now() < until; ) {
    await sleep(250);
    const now = countResources().total;
    stable = now === previous && (target === undefined || now <= target) ? stable + 1 : 0;
    previous = now;
  }
  for (let round = 0; round < 3; round += 1) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  const { byType, total } = countResources();
  const snapshot = snapshotPath ? writeHeapSnapshot(snapshotPath) : undefined;
  return { heapUsed, arrayBuffers, resources: byType, resourceCount: total, ...(snapshot ? { snapshot } : {}) };
}

/**
 * Runs the soak: starts the kit in this process, warms up, measures, drives `requests` mixed
 * requests over `lanes` parallel lanes, probes the in-flight cap, measures again, and closes the kit.
 * Nothing is printed except `progress` lines; see {@link printSoak}.
 */
export async function runSoak(options: SoakOptions = {}): Promise<SoakResult> {
  const requests = options.requests ?? 60_000;
  const warmupRequests = options.warmup ?? 2_000;
  const laneCount = options.lanes ?? 24;
  const seed = options.seed ?? 1;
  const settleMs = options.settleMs ?? 6_000;
  const heapFloorMb = options.heapFloorMb ?? 5;
  const progress = options.progress ?? (() => undefined);
  const gc = collector();
  const began = performance.now();

  // The cap is kept just above what the lanes can have in flight, so a leaked in-flight count shows as 503s.
  const inFlightCap = laneCount * 2 + 8;
  let stopObserving: (() => void) | undefined;
  const kit = await startSoakKit(SOAK_TOOLS, {
    env: {
      MCP_RATE_LIMIT_PER_MINUTE: '1000000',
      MCP_MAX_INFLIGHT: String(inFlightCap),
      // Each lane has one request in flight, the probe three: a share of 3 keeps a hostile pipeline inside it.
      MCP_MAX_INFLIGHT_PER_PRINCIPAL: '3',
      MCP_BODY_TIMEOUT_SECONDS: String(SOAK_BODY_TIMEOUT_SECONDS),
    },
    storeInProcess: options.storeInProcess ?? false,
  });
  try {
    const client = new LoopbackClient(inFlightCap + 8);
    const allScopes = kit.scopes;
    const lanes: Lane[] = [];
    for (let index = 0; index < laneCount; index += 1) {
      const subject = `soak-${index}`;
      lanes.push({
        index,
        subject,
        full: await kit.token({ sub: subject, scopes: allScopes, groups: ['staff', 'analysts'] }),
        restricted: await kit.token({ sub: `${subject}-restricted`, scopes: ['mcp:identity.read'] }),
        noScope: await kit.token({ sub: `${subject}-noscope`, scopes: [] }),
        session: undefined,
        deletedSession: undefined,
        noteId: undefined,
        counters: new Uint32Array(CATEGORIES.length),
      });
    }
    const wrongAudience = await kit.token({ sub: 'soak-elsewhere', scopes: [], resource: 'http://127.0.0.1:9/elsewhere' });
    const expired = await kit.expiredToken('soak-expired', 3_600);

    // The modern-era request exactly as the v2 client sends it, captured from a real call.
    let captured: { headers: Record<string, string>; body: string } | undefined;
    const capture = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
      if (typeof init.body === 'string' && init.body.includes('"tools/call"')) {
        const headers: Record<string, string> = {};
        new Headers(init.headers).forEach((value, name) => {
          if (name !== 'authorization') headers[name] = value;
        });
        captured = { headers, body: init.body };
      }
      return client.fetch(input, init);
    };
    const sdk = new Client({ name: 'soak-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(kit.url), { fetch: capture, requestInit: { headers: { authorization: `Bearer ${lanes[0]!.full}` } } }));
    await sdk.callTool({ name: 'whoami', arguments: {} });
    await sdk.close();
    if (!captured) throw new Error('the v2 client sent no tools/call request');
    const modern = { headers: captured.headers, body: JSON.parse(captured.body) as Shared['modern']['body'] };

    const perLaneWarmup = Math.ceil(warmupRequests / laneCount);
    const perLane = Math.ceil(requests / laneCount);
    const warmupSchedules = lanes.map((lane) => laneSchedule(seed * 7919 + 100_000 + lane.index, perLaneWarmup));
    const schedules = lanes.map((lane) => laneSchedule(seed * 7919 + lane.index, perLane));
    const earlyAborts = Math.min(options.earlyAborts ?? 24, inFlightCap);
    const capacity = CATEGORIES.map((_, category) => schedules.reduce((sum, schedule) => sum + schedule.filter((op) => op === category).length, 0));
    capacity[C('abort.before_body')] = earlyAborts;
    capacity[C('probe.in_flight_cap')] = 1;

    const warmTally = new Tally(CATEGORIES.map(() => 0));
    const closeOnArrival = new Map<string, () => void>();
    const onServerRequest = (message: unknown) => {
      const authorization = (message as { request: IncomingMessage }).request.headers.authorization;
      const close = authorization === undefined ? undefined : closeOnArrival.get(authorization);
      if (close) {
        closeOnArrival.delete(authorization!);
        close();
      }
    };
    subscribe('http.server.request.start', onServerRequest);
    stopObserving = () => unsubscribe('http.server.request.start', onServerRequest);
    const shared: Shared = { kit, client, tally: warmTally, modern, wrongAudience, expired, closeOnArrival, nextId: 0 };
    progress(`warm-up: ${warmupSchedules.reduce((sum, schedule) => sum + schedule.length, 0)} operations on ${laneCount} lanes`);
    const warmRequestsBefore = client.requests;
    await runLanes(shared, lanes, warmupSchedules);
    const warmupSent = client.requests - warmRequestsBefore;
    const warmFailures = warmTally.ops.reduce((sum, ops, category) => sum + ops - warmTally.expected[category]!, 0);
    if (warmFailures > 0) {
      const firstBad = warmTally.samples.findIndex((samples) => samples.length > 0);
      progress(`warm-up: ${warmFailures} unexpected answers, e.g. ${CATEGORIES[firstBad]?.name}: ${warmTally.samples[firstBad]?.[0]}`);
    }

    const tally = new Tally(capacity);
    const measured: Shared = { ...shared, tally };
    for (const lane of lanes) lane.counters.fill(0);
    const snapshotDir = options.heapSnapshotDir;
    progress(`settling ${settleMs} ms before the start measurement`);
    const start = await measure(measured, settleMs, gc, snapshotDir ? join(snapshotDir, 'soak-start.heapsnapshot') : undefined);
    progress(`start: heap ${(start.heapUsed / 1_048_576).toFixed(2)} MB, ${start.resourceCount} active resources; driving ${requests} requests`);

    const runStarted = performance.now();
    const requestsBefore = client.requests;
    const ticker = setInterval(() => progress(`  ${client.requests - requestsBefore} requests, ${((performance.now() - runStarted) / 1000).toFixed(0)} s`), 15_000);
    let probe = { admitted: 0, refused: 0, other: 0 };
    try {
      await runLanes(measured, lanes, schedules);
      // One at a time on an otherwise idle server: the close then always lands while the token is
      // being verified (under full load the server sometimes gets to the body first).
      for (let index = 0; index < earlyAborts; index += 1) await runOp(measured, lanes[index % lanes.length]!, C('abort.before_body'));
      await waitUntil(() => kit.app.limiter.size === 0, 10_000);
      // A second for the server to notice the last client aborts: what is still in flight after that stays.
      await sleep(1_000);
      probe = await probeInFlightCap(measured, lanes, inFlightCap);
    } finally {
      clearInterval(ticker);
    }
    const durationMs = performance.now() - runStarted;
    const sent = client.requests - requestsBefore;

    progress(`settling ${settleMs} ms before the end measurement`);
    const end = await measure(measured, settleMs, gc, snapshotDir ? join(snapshotDir, 'soak-end.heapsnapshot') : undefined, start.resourceCount);
    const limiterSize = kit.app.limiter.size;
    const slotsInUse = kit.app.slots.size;
    const slotPrincipals = kit.app.slots.principals;

    const categories: SoakCategoryRow[] = CATEGORIES.map((category, index) => ({
      name: category.name,
      era: category.era,
      expected: category.expected,
      ops: tally.ops[index]!,
      asExpected: tally.expected[index]!,
      p50Ms: tally.percentile(index, 0.5),
      p99Ms: tally.percentile(index, 0.99),
      samples: tally.samples[index]!,
    }));
    const heapGrowthMb = (end.heapUsed - start.heapUsed) / 1_048_576;
    const unexpected = categories.reduce((sum, row) => sum + row.ops - row.asExpected, 0);
    const missing = categories.filter((row) => row.ops === 0 && !(row.name === 'abort.before_body' && earlyAborts === 0)).map((row) => row.name);
    const resourceDiff = Object.keys({ ...start.resources, ...end.resources })
      .filter((type) => (end.resources[type] ?? 0) !== (start.resources[type] ?? 0))
      .map((type) => `${type} ${start.resources[type] ?? 0} → ${end.resources[type] ?? 0}`);
    const checks = [
      { name: `at least ${Math.min(50_000, requests).toLocaleString('en-US')} requests`, pass: sent >= Math.min(50_000, requests), detail: `${sent} sent` },
      { name: 'every category exercised', pass: missing.length === 0, detail: missing.length === 0 ? `${categories.length} categories` : `none of ${missing.join(', ')}` },
      { name: 'every answer as expected', pass: unexpected === 0, detail: `${unexpected} unexpected` },
      { name: `heap growth < ${heapFloorMb} MB`, pass: heapGrowthMb < heapFloorMb, detail: `${heapGrowthMb >= 0 ? '+' : ''}${heapGrowthMb.toFixed(2)} MB` },
      {
        name: 'active resources back to start',
        pass: end.resourceCount <= start.resourceCount,
        detail: `${start.resourceCount} → ${end.resourceCount}${resourceDiff.length > 0 ? ` (${resourceDiff.join(', ')})` : ''}`,
      },
      { name: 'concurrency limiter empty', pass: limiterSize === 0, detail: `size ${limiterSize}` },
      { name: 'every in-flight slot free', pass: slotsInUse === 0 && slotPrincipals === 0, detail: `${slotsInUse} slots, ${slotPrincipals} principal shares in use` },
      {
        name: 'server in-flight count back to 0',
        pass: probe.admitted === inFlightCap && probe.refused === 4,
        detail:
          probe.admitted + probe.refused === inFlightCap + 4
            ? `probe of ${inFlightCap + 4} slow calls at a cap of ${inFlightCap}: ${probe.admitted} admitted, ${probe.refused} × 503 → ${probe.refused - 4} request(s) still counted in flight`
            : `probe: ${probe.admitted} admitted, ${probe.refused} × 503, ${probe.other} other answers`,
      },
    ];
    return {
      requests: sent,
      warmupRequests: warmupSent,
      lanes: laneCount,
      seed,
      storeInProcess: options.storeInProcess ?? false,
      durationMs,
      totalMs: performance.now() - began,
      categories,
      start,
      end,
      heapGrowthMb,
      heapFloorMb,
      limiterSize,
      inFlightCap,
      probe,
      logLines: kit.logs.lines,
      errorLogLines: kit.logs.errors,
      errorKinds: Object.fromEntries(kit.logs.errorKinds),
      checks,
      pass: checks.every((check) => check.pass),
    };
  } finally {
    stopObserving?.();
    await kit.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function formatResources(resources: Readonly<Record<string, number>>): string {
  return Object.entries(resources)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => `${type}=${count}`)
    .join(' ');
}

function ms(value: number): string {
  return Number.isNaN(value) ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(0);
}

/** Prints the result table and the floors; returns whether every check passed. */
export function printSoak(result: SoakResult, print: (line: string) => void = console.log): boolean {
  const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(2)} MB`;
  print('');
  print(
    `Soak: ${result.requests.toLocaleString('en-US')} requests in ${(result.durationMs / 1000).toFixed(1)} s ` +
      `(${Math.round(result.requests / (result.durationMs / 1000))} req/s), ${result.lanes} lanes, seed ${result.seed}, ` +
      `warm-up ${result.warmupRequests.toLocaleString('en-US')} requests, total run ${(result.totalMs / 1000).toFixed(1)} s, ` +
      `dynalite ${result.storeInProcess ? 'in this process' : 'in a child process'}`,
  );
  print('');
  const header = ['category', 'era', 'expected answer', 'ops', 'as expected', 'p50 ms', 'p99 ms'];
  const rows = result.categories.map((row) => [row.name, row.era, row.expected, String(row.ops), String(row.asExpected), ms(row.p50Ms), ms(row.p99Ms)]);
  const totalOps = result.categories.reduce((sum, row) => sum + row.ops, 0);
  const totalExpected = result.categories.reduce((sum, row) => sum + row.asExpected, 0);
  rows.push(['total', '', '', String(totalOps), String(totalExpected), '', '']);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]) => cells.map((cell, column) => (column >= 3 ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!))).join('  ');
  print(line(header));
  print(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) print(line(row));
  for (const row of result.categories) for (const sample of row.samples) print(`  unexpected ${row.name}: ${sample}`);
  print('');
  print(`heap after GC   start ${mb(result.start.heapUsed)}   end ${mb(result.end.heapUsed)}   growth ${result.heapGrowthMb >= 0 ? '+' : ''}${result.heapGrowthMb.toFixed(2)} MB (floor < ${result.heapFloorMb} MB; heap limit ${mb(getHeapStatistics().heap_size_limit)})`);
  print(`array buffers   start ${mb(result.start.arrayBuffers)}   end ${mb(result.end.arrayBuffers)}   (outside the heap; reported only)`);
  print(`resources start ${result.start.resourceCount}: ${formatResources(result.start.resources)}`);
  print(`resources end   ${result.end.resourceCount}: ${formatResources(result.end.resources)}`);
  print(`limiter size    ${result.limiterSize}   in-flight cap ${result.inFlightCap}   log lines ${result.logLines} (${result.errorLogLines} at ERROR level)`);
  for (const [kind, count] of Object.entries(result.errorKinds).sort(([, a], [, b]) => b - a)) print(`  ERROR log ${String(count).padStart(6)}  ${kind}`);
  if (result.start.snapshot) print(`heap snapshots  ${result.start.snapshot}  ${result.end.snapshot ?? ''}`);
  print('');
  for (const check of result.checks) print(`${check.pass ? 'PASS' : 'FAIL'}  ${check.name}: ${check.detail}`);
  print('');
  print(result.pass ? 'SOAK PASS' : 'SOAK FAIL');
  return result.pass;
}

function argument(name: string): number | undefined {
  const index = process.argv.indexOf(`--${name}`);
  if (index < 0) return undefined;
  const value = Number(process.argv[index + 1]);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a non-negative number`);
  return value;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let code = 1;
  try {
    const requests = argument('requests');
    const warmup = argument('warmup');
    const lanes = argument('lanes');
    const seed = argument('seed');
    const earlyAborts = argument('early-aborts');
    const snapshots = process.env.SOAK_HEAPSNAPSHOT_DIR;
    const result = await runSoak({
      ...(requests !== undefined ? { requests } : {}),
      ...(warmup !== undefined ? { warmup } : {}),
      ...(lanes !== undefined ? { lanes } : {}),
      ...(seed !== undefined ? { seed } : {}),
      ...(earlyAborts !== undefined ? { earlyAborts } : {}),
      ...(snapshots ? { heapSnapshotDir: snapshots } : {}),
      ...(process.argv.includes('--store-in-process') ? { storeInProcess: true } : {}),
      progress: (line) => console.log(line),
    });
    code = printSoak(result) ? 0 : 1;
  } catch (error) {
    console.error('soak failed to run:', error);
  }
  process.exit(code);
}
