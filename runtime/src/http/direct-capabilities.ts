/**
 * The direct path for a plain `resources/read` and a plain `prompts/get`, in both eras.
 *
 * The SDK serves each by building a server instance, a per-request transport, a web `Request` and
 * `Response` and validating the message with its wire schemas both ways; its handlers then call
 * the capability pipeline (`capabilities/serve.ts`). For a request whose shape leaves nothing to
 * interpret, the kit makes the same pipeline call itself (`dispatch.readResource`,
 * `dispatch.getPrompt`: the one policy, strict argument validation and the credential check,
 * per-principal concurrency, the handler under its deadline, the wire-shape check and the output
 * filter, with the same metrics and error log) and encodes the outcome with the SDK's bytes:
 *
 * - 2026-07-28: one JSON body, the result followed by `resultType: "complete"` (and, for
 *   `resources/read`, the cache fields `ttlMs: 0`, `cacheScope: "private"`) and the server's
 *   identity in `_meta`; 2025 era: one SSE `message` event.
 * - A rejection (missing or hidden resource or prompt, invalid arguments, busy, timeout, blocked
 *   output, a handler failure) as the SDK answers a handler's protocol error, made safe exactly as
 *   `safeSdkResponse` makes the SDK's answers. Every outcome is decided by the one pipeline call, so
 *   no handler ever runs twice.
 *
 * Only a deliberately narrow shape takes this path, as for `tools/call` (see `direct-call.ts`):
 * exactly `jsonrpc`, `id` (a string or a safe integer), `method` and `params`; `params` holds
 * `uri` (a string) for a read, `name` (a string) and optional `arguments` (a plain object of
 * strings) for a get, and nothing else but, in 2026-07-28, exactly the three-key envelope; the
 * standard headers equal to the body (`Mcp-Name` is the URI of a read, the name of a get, never a
 * base64 sentinel); JSON content type; in the 2025 era an `Accept` naming JSON and SSE, a session
 * the caller checked and no log level set in it. A prompt that declares input it may ask for, and
 * everything else (a progress token, `requestState`, `inputResponses`, a batch, a notification, an
 * unusual header, anything malformed), goes to the SDK.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isJsonContentType, ProtocolError, SERVER_INFO_META_KEY, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { CancelSource } from '../tools/invoke.js';
import { MODERN_PROTOCOL_VERSION, type RequestScope, type ToolDispatch } from '../tools/mcp-server.js';
import { isPlainEnvelope, isPlainObject, isRequestId, keysWithin, legacyHeadersPlain, MESSAGE_KEYS, singleHeader as single, sseReply } from './direct-shape.js';
import type { DirectReply } from './reply.js';
import { safeErrorMessage } from './sdk-errors.js';

/** A plain `resources/read` or `prompts/get` the kit answers itself. */
export type DirectCapabilityRequest =
  | { readonly method: 'resources/read'; readonly id: string | number; readonly uri: string }
  | { readonly method: 'prompts/get'; readonly id: string | number; readonly name: string; readonly args: Record<string, string> };

const READ_KEYS: ReadonlySet<string> = new Set(['uri']);
const READ_KEYS_MODERN: ReadonlySet<string> = new Set(['uri', '_meta']);
const GET_KEYS: ReadonlySet<string> = new Set(['name', 'arguments']);
const GET_KEYS_MODERN: ReadonlySet<string> = new Set(['name', 'arguments', '_meta']);
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };
/** How the 2026-07-28 `Mcp-Name` header carries a value that is not a plain header value (decoded by the SDK). */
const BASE64_SENTINEL_PREFIX = '=?';

/** Prompt arguments the SDK's schema passes unchanged: a plain object of strings (no `__proto__` key, which its parse drops). */
function plainArguments(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (!isPlainObject(value)) return undefined;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (key === '__proto__' || typeof value[key] !== 'string') return undefined;
  }
  return value as Record<string, string>;
}

/** The request in `body` when it is inside the narrow shape (see the module comment), with its params' `_meta`. */
function plainRequest(body: unknown, modern: boolean): (DirectCapabilityRequest & { readonly meta: unknown }) | undefined {
  if (!isPlainObject(body) || keysWithin(body, MESSAGE_KEYS) !== MESSAGE_KEYS.size || body.jsonrpc !== '2.0') return undefined;
  const { id, method, params } = body;
  if (!isRequestId(id) || !isPlainObject(params)) return undefined;
  if (method === 'resources/read') {
    if (keysWithin(params, modern ? READ_KEYS_MODERN : READ_KEYS) < 0 || typeof params.uri !== 'string') return undefined;
    return { method, id, uri: params.uri, meta: params._meta };
  }
  if (method === 'prompts/get') {
    if (keysWithin(params, modern ? GET_KEYS_MODERN : GET_KEYS) < 0 || typeof params.name !== 'string') return undefined;
    const args = plainArguments(params.arguments);
    return args ? { method, id, name: params.name, args, meta: params._meta } : undefined;
  }
  return undefined;
}

/**
 * The 2025-era `resources/read` or `prompts/get` in `body`, when inside the direct path's shape.
 * Such a request carries no envelope claim, so the SDK's classifier routes it to the legacy era
 * (see `legacyByShape`).
 */
export function legacyDirectCapability(body: unknown, headers: IncomingHttpHeaders): DirectCapabilityRequest | undefined {
  if (!legacyHeadersPlain(headers)) return undefined;
  const request = plainRequest(body, false);
  return request && request.meta === undefined ? request : undefined;
}

/**
 * The 2026-07-28 `resources/read` or `prompts/get` in `body`, when inside the direct path's shape.
 *
 * @param route - what `classifyInboundRequest` (the SDK's own era classifier) said of this request
 */
export function modernDirectCapability(route: InboundClassificationOutcome, body: unknown, headers: IncomingHttpHeaders): DirectCapabilityRequest | undefined {
  if (route.kind !== 'modern' || route.messageKind !== 'request' || route.classification.revision !== MODERN_PROTOCOL_VERSION) return undefined;
  if (!isJsonContentType(single(headers, 'content-type'))) return undefined;
  const request = plainRequest(body, true);
  if (!request || !isPlainEnvelope(request.meta)) return undefined;
  if (single(headers, 'mcp-protocol-version') !== MODERN_PROTOCOL_VERSION || single(headers, 'mcp-method') !== request.method) return undefined;
  const name = single(headers, 'mcp-name');
  if (name === undefined || name.startsWith(BASE64_SENTINEL_PREFIX) || name !== (request.method === 'resources/read' ? request.uri : request.name)) return undefined;
  return request;
}

/** The JSON-RPC error the SDK answers for what a handler threw (its code, message and data), made safe. */
function errorMessage(id: string | number, thrown: unknown, correlationId: string): string {
  const error = thrown instanceof ProtocolError ? { code: thrown.code, message: thrown.message, data: thrown.data } : { code: -32603, message: 'Internal error' };
  return safeErrorMessage(id, error, correlationId);
}

/** The direct answers of one server's resources and prompts. */
export interface DirectCapabilities {
  /**
   * Serves `request` through the capability pipeline and encodes the outcome for `era`, or
   * `undefined`, running nothing, when the SDK must answer (no such capability served, or a prompt
   * that may ask for input).
   */
  serve(request: DirectCapabilityRequest, scope: RequestScope, cancel: CancelSource, era: 'modern' | 'legacy'): Promise<DirectReply> | undefined;
}

/** Builds the direct answers of `dispatch`'s resources and prompts (the server's identity serialized once). */
export function createDirectCapabilities(dispatch: ToolDispatch): DirectCapabilities {
  const meta = { [SERVER_INFO_META_KEY]: { name: dispatch.serverInfo.name, version: dispatch.serverInfo.version } };
  const modernResult = (request: DirectCapabilityRequest, result: object): object =>
    request.method === 'resources/read'
      ? { ...result, resultType: 'complete', ttlMs: 0, cacheScope: 'private', _meta: meta }
      : { ...result, resultType: 'complete', _meta: meta };

  return {
    serve(request, scope, cancel, era) {
      const pending =
        request.method === 'resources/read' ? dispatch.readResource(scope, request.uri, cancel) : dispatch.getPrompt(scope, request.name, request.args, cancel);
      if (pending === undefined) return undefined;
      const encode = (message: string): DirectReply => (era === 'modern' ? { status: 200, headers: JSON_HEADERS, body: message } : sseReply(message));
      return pending.then(
        (result) =>
          encode(JSON.stringify({ result: era === 'modern' ? modernResult(request, result) : result, jsonrpc: '2.0', id: request.id })),
        (thrown: unknown) => encode(errorMessage(request.id, thrown, scope.correlationId)),
      );
    },
  };
}
