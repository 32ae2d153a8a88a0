/**
 * Reading the trace context of an incoming request and minting new trace ids. Pure functions:
 * no tracing SDK, no I/O. Every header value is attacker-controlled, so each part is checked
 * against an exact pattern and a header that does not parse is treated as absent.
 *
 * A caller's sampling decision (`Sampled=1`, the `traceparent` flags) is deliberately not read:
 * which requests are recorded is this service's decision alone (see {@link TraceSampler}), so a
 * client cannot make the server record, store and pay for every one of its requests.
 */
import { randomFillSync } from 'node:crypto';

/**
 * An X-Ray trace id (`1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`), also the request's correlation id.
 * Only this module mints or accepts one, so a value of this type never holds anything else.
 */
export type TraceId = string & { readonly __brand: 'TraceId' };

/** The trace headers of an incoming request, as received. */
export interface IncomingTraceHeaders {
  /** `X-Amzn-Trace-Id`: `Root=1-…;Parent=…;Sampled=0|1|?` (the ALB adds `Root` when absent). */
  readonly xAmznTraceId?: string;
  /** W3C `traceparent`: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
  readonly traceparent?: string;
  /** W3C `tracestate` sent with that `traceparent`. */
  readonly tracestate?: string;
}

/**
 * The W3C trace context a 2026-07-28 request carries in `params._meta` (SEP-414): `traceparent`,
 * `tracestate` and `baggage`, as received. Baggage is accepted and never read: its entries are the
 * client's own key-value pairs, which may hold personal data, so no span records them and no call
 * forwards them.
 */
export interface MetaTraceContext {
  readonly traceparent?: unknown;
  readonly tracestate?: unknown;
  readonly baggage?: unknown;
}

/** The trace a request joins. */
export interface TraceContext {
  readonly traceId: TraceId;
  /** Id of the caller's segment or span, when the caller is traced. */
  readonly parentId?: string;
  /** The caller's W3C `tracestate`, when it came with the `traceparent` that named the parent. */
  readonly tracestate?: string;
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-|$)/;
const ZERO_SPAN = '0000000000000000';
const ZERO_TRACE = '00000000000000000000000000000000';

/** Longest trace header read; longer ones are ignored without being parsed. */
const MAX_HEADER_LENGTH = 1024;

/**
 * Parses `X-Amzn-Trace-Id`. `Sampled` and unknown fields (`Self`, `Lineage`, custom data) are
 * ignored.
 */
export function parseAmznTraceHeader(value: string | undefined): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  for (const field of value.split(';')) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq).trim().toLowerCase();
    const fieldValue = field.slice(eq + 1).trim();
    if (key === 'root') root = fieldValue;
    else if (key === 'parent') parent = fieldValue;
  }
  if (root === undefined || !ROOT.test(root)) return undefined;
  const validParent = parent !== undefined && SPAN_ID.test(parent) ? parent : undefined;
  return validParent !== undefined ? { traceId: root as TraceId, parentId: validParent } : { traceId: root as TraceId };
}

/**
 * Parses a W3C `traceparent` and converts its trace id to X-Ray form: the first 8 hex digits
 * become the time field, the other 24 the unique part (`1-<8>-<24>`), which is how X-Ray
 * represents W3C trace ids. The flags are checked for shape and otherwise ignored.
 */
export function parseTraceparent(value: unknown): TraceContext | undefined {
  if (typeof value !== 'string' || value.length > MAX_HEADER_LENGTH) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceHex, parentId] = match as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && value.trim().length !== 55)) return undefined;
  if (traceHex === ZERO_TRACE || parentId === ZERO_SPAN) return undefined;
  return { traceId: `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}` as TraceId, parentId };
}

/** Longest `tracestate` kept (the W3C limit is 32 members; 512 characters is what it asks receivers to keep). */
const MAX_TRACESTATE_LENGTH = 512;

/** `value` when it is a string a receiver may keep as `tracestate`, else `undefined`. */
function tracestateOf(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TRACESTATE_LENGTH ? value : undefined;
}

/** A `traceparent` and the `tracestate` that came with it. */
function w3cContext(traceparent: unknown, tracestate: unknown): TraceContext | undefined {
  const context = parseTraceparent(traceparent);
  if (!context) return undefined;
  const state = tracestateOf(tracestate);
  return state === undefined ? context : { ...context, tracestate: state };
}

/** The trace context in the `_meta` of a 2026-07-28 request, when its `traceparent` is valid. */
export function parseMetaTraceContext(meta: MetaTraceContext | undefined): TraceContext | undefined {
  return meta === undefined || meta === null || typeof meta !== 'object' ? undefined : w3cContext(meta.traceparent, meta.tracestate);
}

/** The 32 hex digits of a trace id in X-Ray form: the W3C and OpenTelemetry form of the same id. */
export function toW3cTraceId(traceId: TraceId): string {
  return traceId.slice(2, 10) + traceId.slice(11);
}

/** The X-Ray form (`1-<8>-<24>`) of a 32-hex-digit W3C trace id. */
export function fromW3cTraceId(hex: string): TraceId {
  return `1-${hex.slice(0, 8)}-${hex.slice(8)}` as TraceId;
}

// CSPRNG output fetched in blocks: one call into the generator per 340 trace ids instead of one per
// request. Every byte is used once.
const RANDOM_BLOCK = 4096;
const randomBlock = Buffer.alloc(RANDOM_BLOCK);
let randomOffset = RANDOM_BLOCK;

/** `bytes` fresh bytes from the CSPRNG, as lower-case hex. */
export function randomHex(bytes: number): string {
  if (randomOffset + bytes > RANDOM_BLOCK) {
    randomFillSync(randomBlock);
    randomOffset = 0;
  }
  const hex = randomBlock.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

/** A new X-Ray trace id: the current time in seconds and 96 random bits. */
export function mintTraceId(nowMs: number = Date.now()): TraceId {
  const seconds = Math.floor(nowMs / 1000).toString(16).padStart(8, '0');
  return `1-${seconds}-${randomHex(12)}` as TraceId;
}

/**
 * Decides which trace a request joins, from its headers:
 * 1. an `X-Amzn-Trace-Id` with a `Parent` (the caller is traced by X-Ray) is continued;
 * 2. else a valid `traceparent` (with its `tracestate`) is continued (behind an ALB, a client's
 *    W3C context arrives next to an `X-Amzn-Trace-Id` that the ALB minted with a bare `Root`);
 * 3. else a bare `X-Amzn-Trace-Id` root is kept, so the id matches the ALB access log;
 * 4. else a new trace id is minted.
 * In cases 3 and 4 the result has no `parentId`, and the `_meta` trace context of a 2026-07-28
 * request, read once the body is parsed, may still be continued instead (see {@link continueFromMeta}).
 */
export function resolveTraceContext(headers: IncomingTraceHeaders): TraceContext {
  const amzn = parseAmznTraceHeader(headers.xAmznTraceId);
  if (amzn?.parentId !== undefined) return amzn;
  const w3c = w3cContext(headers.traceparent, headers.tracestate);
  if (w3c) return w3c;
  return amzn ?? { traceId: mintTraceId() };
}

/**
 * The trace a request joins once its `_meta` is known: the headers' context when it names a
 * parent (the HTTP hop is the nearer caller), else a valid `_meta.traceparent`, else the headers'
 * context unchanged.
 */
export function continueFromMeta(fromHeaders: TraceContext, meta: MetaTraceContext | undefined): TraceContext {
  if (fromHeaders.parentId !== undefined) return fromHeaders;
  return parseMetaTraceContext(meta) ?? fromHeaders;
}

/** Checks that a string is a trace id in X-Ray form. */
export function isTraceId(value: unknown): value is TraceId {
  return typeof value === 'string' && ROOT.test(value);
}

/** A local sampling rule: the first `fixedTargetPerSecond` requests each second, then `rate` of the rest. */
export interface TraceSampling {
  readonly fixedTargetPerSecond: number;
  readonly rate: number;
}

/** X-Ray's default rule: one request per second and 5 % of the rest. */
export const DEFAULT_TRACE_SAMPLING: TraceSampling = { fixedTargetPerSecond: 1, rate: 0.05 };

/** Applies a {@link TraceSampling} rule; state is two numbers, whatever the traffic. */
export class TraceSampler {
  #second = -1;
  #used = 0;

  constructor(
    private readonly rule: TraceSampling,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    if (!Number.isInteger(rule.fixedTargetPerSecond) || rule.fixedTargetPerSecond < 0) {
      throw new RangeError(`traceSampling.fixedTargetPerSecond must be a non-negative integer (got ${rule.fixedTargetPerSecond})`);
    }
    if (!(rule.rate >= 0 && rule.rate <= 1)) throw new RangeError(`traceSampling.rate must be between 0 and 1 (got ${rule.rate})`);
  }

  /** Whether to record the next request. */
  sample(): boolean {
    const second = Math.floor(this.now() / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#used = 0;
    }
    if (this.#used < this.rule.fixedTargetPerSecond) {
      this.#used += 1;
      return true;
    }
    return this.random() < this.rule.rate;
  }
}
