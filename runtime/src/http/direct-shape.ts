/**
 * The shape checks every direct-path answer shares (`direct-call.ts`, `direct-answers.ts`): plain
 * objects only, own keys only, single-valued headers, the exact 2026-07-28 envelope, the 2025-era
 * transport's header rules, and the SSE framing that transport answers with.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, isJsonContentType, PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION } from '../tools/mcp-server.js';
import type { DirectReply } from './reply.js';

const ENVELOPE_KEYS: ReadonlySet<string> = new Set([PROTOCOL_VERSION_META_KEY, CLIENT_INFO_META_KEY, CLIENT_CAPABILITIES_META_KEY]);

/** The 2025-era revisions, as a set. */
export const LEGACY_VERSIONS: ReadonlySet<string> = new Set(LEGACY_PROTOCOL_VERSIONS);

/** Whether `value` is a plain object (its prototype `Object.prototype` or `null`), never an array or instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The keys a JSON-RPC request may have. */
export const MESSAGE_KEYS: ReadonlySet<string> = new Set(['jsonrpc', 'id', 'method', 'params']);

/** Whether `value` is a request id the direct paths answer: a string or a safe integer. */
export function isRequestId(value: unknown): value is string | number {
  return typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value));
}

/** A header as the web `Headers.get` reads it (repeated values joined with `, `), or `undefined`. */
export function joinedHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** A header sent once, or `undefined` (absent or repeated: the SDK would join repeated values). */
export function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** How many own keys `value` has, or -1 when one of them is not in `allowed`. */
export function keysWithin(value: Record<string, unknown>, allowed: ReadonlySet<string>): number {
  let count = 0;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!allowed.has(key)) return -1;
    count += 1;
  }
  return count;
}

/** The envelope holds exactly the three keys every 2026-07-28 client sends, nothing more. */
export function isPlainEnvelope(meta: unknown): boolean {
  if (!isPlainObject(meta) || keysWithin(meta, ENVELOPE_KEYS) !== ENVELOPE_KEYS.size) return false;
  return meta[PROTOCOL_VERSION_META_KEY] === MODERN_PROTOCOL_VERSION && isPlainObject(meta[CLIENT_INFO_META_KEY]) && isPlainObject(meta[CLIENT_CAPABILITIES_META_KEY]);
}

/**
 * The 2025-era streamable HTTP transport's request rules, kept to: `MCP-Protocol-Version` absent
 * or a 2025-era revision; `Accept` naming both `application/json` and `text/event-stream`; a JSON
 * `Content-Type` by the SDK's own predicate.
 */
export function legacyHeadersPlain(headers: IncomingHttpHeaders): boolean {
  const version = headers['mcp-protocol-version'];
  if (version !== undefined && !(typeof version === 'string' && LEGACY_VERSIONS.has(version))) return false;
  const accept = singleHeader(headers, 'accept');
  if (!accept?.includes('application/json') || !accept.includes('text/event-stream')) return false;
  return isJsonContentType(singleHeader(headers, 'content-type'));
}

/** The headers the 2025-era transport sends with an SSE answer. */
const SSE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

/** One SSE `message` event carrying `message` (a serialized JSON-RPC response), as the 2025-era transport sends it. */
export function sseReply(message: string): DirectReply {
  return { status: 200, headers: SSE_HEADERS, body: `event: message\ndata: ${message}\n\n` };
}
