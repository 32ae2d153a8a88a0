/**
 * Direct-path answers for the requests of a session that carry no work: the 2025-era `initialize`,
 * `tools/list` in both eras and the 2026-07-28 `server/discover`.
 *
 * The SDK answers each of them by building a server instance, a per-request transport, a web
 * `Request` and `Response` and validating the message on the way in and out; their answers depend
 * only on the server's declaration (identity, capabilities, revisions) and, for `tools/list`, on
 * what the policy lets the principal see. The kit answers them itself, with the bytes the SDK would
 * send, after exactly the same authentication, session and policy checks (the caller runs those;
 * the listing is the dispatch's own `listTools`, the one the SDK server's handler calls).
 *
 * Only a deliberately narrow shape takes this path, as for `tools/call` (see `direct-call.ts`):
 * exactly `jsonrpc`, `id` (a string or a safe integer), `method` and `params`; no cursor, no extra
 * key, no `_meta` in the 2025 era and exactly the three-key envelope in 2026-07-28; the standard
 * headers equal to the body; JSON content type; in the 2025 era an `Accept` naming JSON and SSE.
 * Anything else — a log level, a progress token, a cursor, a batch, a notification, an unusual
 * header, anything malformed — returns `undefined`, and the SDK answers it (error answers
 * included). A capability this path does not reproduce exactly must step aside the same way.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isInitializeRequest, isJsonContentType, SERVER_INFO_META_KEY, type InboundClassificationOutcome } from '@modelcontextprotocol/server';
import type { Principal } from '../auth/principal.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION, type ToolDispatch } from '../tools/mcp-server.js';
import { isPlainEnvelope, isPlainObject, isRequestId, keysWithin, LEGACY_VERSIONS, MESSAGE_KEYS, legacyHeadersPlain, singleHeader as single, sseReply as sse } from './direct-shape.js';
import type { DirectReply } from './reply.js';

const LATEST_LEGACY_VERSION = LEGACY_PROTOCOL_VERSIONS[0]!;
const INITIALIZE_KEYS: ReadonlySet<string> = new Set(['protocolVersion', 'capabilities', 'clientInfo']);
const CLIENT_INFO_KEYS: ReadonlySet<string> = new Set(['name', 'version', 'title']);
const META_ONLY: ReadonlySet<string> = new Set(['_meta']);
const NO_KEYS: ReadonlySet<string> = new Set();
/** Distinct `tools/list` listings kept serialized (one per policy outcome; cleared when full). */
const MAX_LISTINGS = 256;
const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

/** A JSON-RPC request of `method` inside the narrow shape: its id and params (`undefined` when absent). */
function plainRequest(body: unknown, method: string): { id: string | number; params: unknown } | undefined {
  if (!isPlainObject(body) || keysWithin(body, MESSAGE_KEYS) < 3) return undefined;
  if (body.jsonrpc !== '2.0' || body.method !== method) return undefined;
  const id = body.id;
  if (!isRequestId(id)) return undefined;
  return { id, params: body.params };
}

/**
 * Whether the SDK's era classifier (`classifyInboundRequest`) routes this request to the 2025 era
 * by construction, so the caller need not run it: a single JSON-RPC request (`jsonrpc: "2.0"`, an
 * id that is a string or a safe integer, a string method) whose params, if any, are a plain object
 * without `_meta` (no envelope claim), sent without a 2026 `MCP-Protocol-Version` (absent or a
 * 2025-era revision). The classifier answers `legacy` (`initialize` or `no-claim`) for every such request.
 */
export function legacyByShape(body: unknown, headers: IncomingHttpHeaders): boolean {
  if (!isPlainObject(body) || keysWithin(body, MESSAGE_KEYS) < 3 || body.jsonrpc !== '2.0' || typeof body.method !== 'string') return false;
  const id = body.id;
  if (!isRequestId(id)) return false;
  const params = body.params;
  if (params !== undefined && !(isPlainObject(params) && !Object.hasOwn(params, '_meta'))) return false;
  return legacyHeadersPlain(headers);
}

/** A 2025-era `initialize` answered directly, with what the session is opened with. */
export interface DirectInitialize {
  readonly reply: DirectReply;
  /** The negotiated revision (the requested one when served, else the newest 2025-era one). */
  readonly protocolVersion: string;
  readonly clientInfo: { readonly name: string; readonly version: string };
}

/** The direct answers of one server (see the module comment). */
export interface DirectAnswers {
  /**
   * The 2025-era `initialize` in `body`, answered as the SDK does, or `undefined`. The caller has
   * authenticated the request and checked it carries no session id; it opens the session.
   */
  legacyInitialize(body: unknown, headers: IncomingHttpHeaders): DirectInitialize | undefined;
  /** A 2025-era `tools/list` of a session the caller has checked, or `undefined`. */
  legacyRequest(body: unknown, headers: IncomingHttpHeaders, principal: Principal): DirectReply | undefined;
  /** A 2026-07-28 `server/discover` or `tools/list`, or `undefined`. */
  modernRequest(route: InboundClassificationOutcome, body: unknown, headers: IncomingHttpHeaders, principal: Principal): DirectReply | undefined;
}

/**
 * Builds the direct answers of `dispatch`: the server's declaration is serialized once, and each
 * distinct `tools/list` listing (one per policy outcome) once, when first asked for.
 */
export function createDirectAnswers(dispatch: ToolDispatch): DirectAnswers {
  const capabilities = JSON.stringify(dispatch.capabilities);
  const serverInfo = JSON.stringify({ name: dispatch.serverInfo.name, version: dispatch.serverInfo.version });
  const modernTail = `"resultType":"complete","ttlMs":0,"cacheScope":"private","_meta":${JSON.stringify({ [SERVER_INFO_META_KEY]: { name: dispatch.serverInfo.name, version: dispatch.serverInfo.version } })}}`;
  const discover = `{"supportedVersions":${JSON.stringify([MODERN_PROTOCOL_VERSION])},"capabilities":${capabilities},${modernTail}`;
  const listings = new Map<string, string>();

  /** The serialized `tools` array this principal may see. */
  function toolsOf(principal: Principal): string {
    const tools = dispatch.listTools(principal);
    const key = tools.map((tool) => tool.name).join(' ');
    let json = listings.get(key);
    if (json === undefined) {
      json = JSON.stringify(tools);
      if (listings.size >= MAX_LISTINGS) listings.clear();
      listings.set(key, json);
    }
    return json;
  }

  const answer = (result: string, id: string | number) => `{"result":${result},"jsonrpc":"2.0","id":${JSON.stringify(id)}}`;

  return {
    legacyInitialize(body, headers) {
      if (!legacyHeadersPlain(headers)) return undefined;
      const request = plainRequest(body, 'initialize');
      if (!request || !isPlainObject(request.params) || keysWithin(request.params, INITIALIZE_KEYS) !== INITIALIZE_KEYS.size) return undefined;
      const { protocolVersion, capabilities: clientCapabilities, clientInfo } = request.params;
      if (typeof protocolVersion !== 'string' || !isPlainObject(clientCapabilities) || !isPlainObject(clientInfo)) return undefined;
      if (keysWithin(clientInfo, CLIENT_INFO_KEYS) < 0 || typeof clientInfo.name !== 'string' || typeof clientInfo.version !== 'string') return undefined;
      if (clientInfo.title !== undefined && typeof clientInfo.title !== 'string') return undefined;
      // The SDK's own schema decides the rest (capability shapes): what it would refuse, it answers.
      if (!isInitializeRequest(body)) return undefined;
      const negotiated = LEGACY_VERSIONS.has(protocolVersion) ? protocolVersion : LATEST_LEGACY_VERSION;
      const result = `{"protocolVersion":${JSON.stringify(negotiated)},"capabilities":${capabilities},"serverInfo":${serverInfo}}`;
      return { reply: sse(answer(result, request.id)), protocolVersion: negotiated, clientInfo: { name: clientInfo.name, version: clientInfo.version } };
    },

    legacyRequest(body, headers, principal) {
      if (!legacyHeadersPlain(headers)) return undefined;
      const request = plainRequest(body, 'tools/list');
      if (!request) return undefined;
      if (request.params !== undefined && !(isPlainObject(request.params) && keysWithin(request.params, NO_KEYS) === 0)) return undefined;
      return sse(answer(`{"tools":${toolsOf(principal)}}`, request.id));
    },

    modernRequest(route, body, headers, principal) {
      if (route.kind !== 'modern' || route.messageKind !== 'request' || route.classification.revision !== MODERN_PROTOCOL_VERSION) return undefined;
      if (!isJsonContentType(single(headers, 'content-type'))) return undefined;
      const method = isPlainObject(body) ? body.method : undefined;
      if (method !== 'server/discover' && method !== 'tools/list') return undefined;
      const request = plainRequest(body, method);
      if (!request || !isPlainObject(request.params) || keysWithin(request.params, META_ONLY) !== 1 || !isPlainEnvelope(request.params._meta)) return undefined;
      if (single(headers, 'mcp-protocol-version') !== MODERN_PROTOCOL_VERSION || single(headers, 'mcp-method') !== method) return undefined;
      if (headers['mcp-name'] !== undefined) return undefined;
      const result = method === 'server/discover' ? discover : `{"tools":${toolsOf(principal)},${modernTail}`;
      return { status: 200, headers: JSON_HEADERS, body: answer(result, request.id) };
    },
  };
}

