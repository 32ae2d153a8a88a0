/**
 * The era of a plain 2026-07-28 request, without running the SDK's classifier again for an envelope
 * it has already accepted.
 *
 * `classifyInboundRequest` validates each request's `_meta` envelope with the SDK's schemas (client
 * info and client capabilities), and checks the body's JSON-RPC shape, on every request. A client
 * sends the same envelope request after request. For a request in the plain shape below, the
 * classifier's answer depends only on the envelope's value and on the kind of id (the headers must
 * equal the body exactly, the method is never `initialize`, the params hold nothing the classifier
 * reads but the envelope): once the classifier has answered "modern request, 2026-07-28" for an
 * envelope, the same envelope gets the same answer. The envelopes so accepted are kept (their exact
 * JSON text, only for envelopes of plain JSON values; bounded, cleared when full); anything else,
 * and every envelope not yet seen, goes to the classifier, whose answer stands.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { classifyInboundRequest, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import { MODERN_PROTOCOL_VERSION } from '../tools/mcp-server.js';
import { isPlainEnvelope, isPlainObject, isRequestId, joinedHeader, keysWithin, MESSAGE_KEYS, singleHeader as single } from './direct-shape.js';

/** Distinct envelopes kept (clients of one deployment send few). */
const MAX_ENVELOPES = 1_024;

/** Whether `value` is JSON data as `JSON.parse` makes it: plain objects, arrays, strings, finite numbers, booleans, null. */
function isJsonData(value: unknown, depth = 0): boolean {
  if (depth > 16) return false;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return Object.getPrototypeOf(value) === Array.prototype && value.every((item) => isJsonData(item, depth + 1));
  if (!isPlainObject(value)) return false;
  for (const key in value) if (Object.hasOwn(value, key) && !isJsonData(value[key], depth + 1)) return false;
  return true;
}

/** The SDK classifier's answer for a POST of `body` with `headers`. */
export function classifyPost(body: unknown, headers: IncomingHttpHeaders): InboundClassificationOutcome {
  return classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: joinedHeader(headers, 'mcp-protocol-version'),
    mcpMethodHeader: joinedHeader(headers, 'mcp-method'),
    mcpNameHeader: joinedHeader(headers, 'mcp-name'),
    body,
  });
}

/** The memo key of a plain 2026-07-28 request (see the module comment), or `undefined`. */
function plainModernKey(body: unknown, headers: IncomingHttpHeaders): string | undefined {
  if (!isPlainObject(body) || keysWithin(body, MESSAGE_KEYS) !== MESSAGE_KEYS.size || body.jsonrpc !== '2.0') return undefined;
  const { id, method, params } = body;
  if (typeof method !== 'string' || method === 'initialize' || !isPlainObject(params)) return undefined;
  if (!isRequestId(id)) return undefined;
  const idKind = typeof id === 'string' ? 's' : 'n';
  const meta = params._meta;
  if (!isPlainEnvelope(meta) || !isJsonData(meta)) return undefined;
  if (single(headers, 'mcp-protocol-version') !== MODERN_PROTOCOL_VERSION || single(headers, 'mcp-method') !== method) return undefined;
  return `${idKind}${JSON.stringify(meta)}`;
}

/** Classifies POST requests as the SDK's classifier does, remembering the plain envelopes it accepted. */
export interface RouteClassifier {
  classify(body: unknown, headers: IncomingHttpHeaders): InboundClassificationOutcome;
}

/** A classifier with its own bounded set of accepted envelopes. */
export function createRouteClassifier(): RouteClassifier {
  const accepted = new Set<string>();
  return {
    classify(body, headers) {
      const key = plainModernKey(body, headers);
      if (key !== undefined && accepted.has(key)) {
        return { kind: 'modern', messageKind: 'request', message: body, classification: { era: 'modern', revision: MODERN_PROTOCOL_VERSION } } as InboundClassificationOutcome;
      }
      const route = classifyPost(body, headers);
      if (key !== undefined && route.kind === 'modern' && route.messageKind === 'request' && route.classification.revision === MODERN_PROTOCOL_VERSION) {
        if (accepted.size >= MAX_ENVELOPES) accepted.clear();
        accepted.add(key);
      }
      return route;
    },
  };
}
