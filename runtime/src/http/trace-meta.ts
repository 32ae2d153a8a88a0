import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { MetaTraceContext } from '../observability/index.js';
import { MODERN_PROTOCOL_VERSION } from '../tools/mcp-server.js';

/**
 * The W3C trace context in `params._meta` of a 2026-07-28 request (SEP-414 reserves
 * `traceparent`, `tracestate` and `baggage` there), or `undefined`: for a batch, a body without
 * `_meta`, or a request of an older revision, where those keys mean nothing. Only the three keys
 * are read; the values are checked by the observability module.
 */
export function traceMetaOf(body: unknown): MetaTraceContext | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const params = (body as { params?: unknown }).params;
  if (params === null || typeof params !== 'object') return undefined;
  const meta = (params as { _meta?: unknown })._meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return undefined;
  const fields = meta as Record<string, unknown>;
  if (fields[PROTOCOL_VERSION_META_KEY] !== MODERN_PROTOCOL_VERSION || !Object.hasOwn(fields, 'traceparent')) return undefined;
  return { traceparent: fields.traceparent, tracestate: Object.hasOwn(fields, 'tracestate') ? fields.tracestate : undefined };
}
