/**
 * The direct path for the one request every MCP client sends most: a plain `tools/call`.
 *
 * The SDK serves each request by building a server instance, a per-request transport, a web
 * `Request` and a web `Response` (with a body stream), and validating the message with its wire
 * schemas on the way in and out. For a `tools/call` whose shape leaves nothing to interpret, the
 * kit answers itself instead, with the same bytes on the wire: it calls the tool through the same
 * dispatch the SDK server's handler uses (policy re-check, then `invokeTool`) and encodes the result
 * as the SDK does for the era.
 *
 * Only requests inside a deliberately narrow shape take this path; everything else (other methods,
 * batches, notifications, extra `_meta` keys, progress tokens, unusual headers, unknown or hidden
 * tools, anything malformed) goes to the SDK, which then gives its own answer, error answers
 * included. Every check here is at least as strict as the SDK's, never looser:
 *
 * - JSON-RPC: exactly `jsonrpc: "2.0"`, an `id` that is a string or a safe integer, `method:
 *   "tools/call"`, and `params` with `name` (a string), optional `arguments` (a plain object), and
 *   nothing else except, on the modern era, the `_meta` envelope.
 * - Modern era (2026-07-28): the SDK's own classifier must have routed the request to the modern
 *   path (its envelope validation passed); the envelope holds exactly the protocol version, the
 *   client info and the client capabilities; `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name`
 *   carry exactly the values of the body.
 * - Legacy era: no `_meta` at all; `MCP-Protocol-Version` absent or a 2025-era revision; `Accept`
 *   names both `application/json` and `text/event-stream` (the streamable HTTP transport's rule);
 *   the session has been checked by the caller.
 * - Both: the `Content-Type` is JSON by the SDK's own predicate.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isJsonContentType, SERVER_INFO_META_KEY, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { CallResult } from '../tools/invoke.js';
import { MODERN_PROTOCOL_VERSION } from '../tools/mcp-server.js';
import { isPlainEnvelope, isPlainObject, isRequestId, keysWithin, legacyHeadersPlain, MESSAGE_KEYS, singleHeader as single, sseReply } from './direct-shape.js';
import type { DirectReply } from './reply.js';

/** A `tools/call` the kit answers itself. */
export interface DirectToolCall {
  readonly id: string | number;
  readonly name: string;
  readonly args: Record<string, unknown> | undefined;
}

/** The common JSON-RPC part: the call's id, name and arguments, or `undefined`. */
function plainCall(body: unknown, allowEnvelope: boolean): (DirectToolCall & { meta?: unknown }) | undefined {
  if (!isPlainObject(body)) return undefined;
  if (keysWithin(body, MESSAGE_KEYS) !== MESSAGE_KEYS.size || body.jsonrpc !== '2.0' || body.method !== 'tools/call') return undefined;
  const id = body.id;
  if (!isRequestId(id)) return undefined;
  const params = body.params;
  if (!isPlainObject(params)) return undefined;
  for (const key in params) {
    if (!Object.hasOwn(params, key)) continue;
    if (key !== 'name' && key !== 'arguments' && !(allowEnvelope && key === '_meta')) return undefined;
  }
  const { name, arguments: args } = params;
  if (typeof name !== 'string') return undefined;
  if (args !== undefined && !isPlainObject(args)) return undefined;
  return { id, name, args, meta: params._meta };
}

/**
 * The modern-era `tools/call` in `body`, when the request is inside the direct path's shape.
 *
 * @param route - what `classifyInboundRequest` (the SDK's own era classifier) said of this request
 */
export function modernDirectCall(route: InboundClassificationOutcome, body: unknown, headers: IncomingHttpHeaders): DirectToolCall | undefined {
  if (route.kind !== 'modern' || route.messageKind !== 'request' || route.classification.revision !== MODERN_PROTOCOL_VERSION) return undefined;
  if (!isJsonContentType(single(headers, 'content-type'))) return undefined;
  const call = plainCall(body, true);
  if (!call || !isPlainEnvelope(call.meta)) return undefined;
  if (single(headers, 'mcp-protocol-version') !== MODERN_PROTOCOL_VERSION) return undefined;
  if (single(headers, 'mcp-method') !== 'tools/call' || single(headers, 'mcp-name') !== call.name) return undefined;
  return { id: call.id, name: call.name, args: call.args };
}

/**
 * The legacy-era `tools/call` in `body`, when the request is inside the direct path's shape. Such a
 * request carries no envelope claim and no modern `MCP-Protocol-Version`, so the SDK's classifier
 * routes it to the legacy era (`no-claim`) without exception; the caller need not run it.
 */
export function legacyDirectCall(body: unknown, headers: IncomingHttpHeaders): DirectToolCall | undefined {
  if (!legacyHeadersPlain(headers)) return undefined;
  const call = plainCall(body, false);
  if (!call || call.meta !== undefined) return undefined;
  return { id: call.id, name: call.name, args: call.args };
}

/** The result as both eras put it on the wire: text blocks and, when present, structured content. */
function wireResult(result: CallResult): Record<string, unknown> {
  return {
    content: result.content,
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent } : {}),
    ...(result.isError !== undefined ? { isError: result.isError } : {}),
  };
}

/**
 * The modern-era answer, as the SDK encodes it: the result with `resultType: "complete"` and the
 * server's identity in `_meta`, one JSON body.
 */
export function modernReply(call: DirectToolCall, result: CallResult, serverInfo: { readonly name: string; readonly version: string }): DirectReply {
  const body = JSON.stringify({
    result: { ...wireResult(result), resultType: 'complete', _meta: { [SERVER_INFO_META_KEY]: { name: serverInfo.name, version: serverInfo.version } } },
    jsonrpc: '2.0',
    id: call.id,
  });
  return { status: 200, headers: { 'content-type': 'application/json' }, body };
}

/**
 * The legacy-era answer, as the SDK's streamable HTTP transport sends it: one SSE `message` event
 * carrying the JSON-RPC response, with the transport's headers.
 */
export function legacyReply(call: DirectToolCall, result: CallResult): DirectReply {
  return sseReply(JSON.stringify({ result: wireResult(result), jsonrpc: '2.0', id: call.id }));
}
