import type { IncomingMessage } from 'node:http';
import {
  createMcpHandler,
  type AuthInfo,
  type InboundClassificationOutcome,
} from '@modelcontextprotocol/server';
import { ownerKey } from '../auth/principal.js';
import { JSON_RPC, jsonRpcError } from '../errors/index.js';
import { SessionStoreUnavailableError, type SessionRecord, type SessionStore } from '../session/index.js';
import { ListenSlots, releasingWhenDone } from '../subscriptions/index.js';
import { LEGACY_PROTOCOL_VERSIONS, toAuthInfo, type SessionScope, type ToolDispatch } from '../tools/mcp-server.js';
import { batchingAllowed } from './batch.js';
import { isRequestId, joinedHeader } from './direct-shape.js';
import { createDirectAnswers, legacyByShape } from './direct-answers.js';
import { createDirectCapabilities, legacyDirectCapability, modernDirectCapability } from './direct-capabilities.js';
import { createRouteClassifier } from './direct-route.js';
import { legacyDirectCall, legacyReply, modernDirectCall, modernReply, type DirectToolCall } from './direct-call.js';
import { routeAnswers } from './legacy-route.js';
import type { PendingInputs } from './legacy-input.js';
import { serveLegacyRequest, type LegacySession, type SamplingScreen } from './legacy-serve.js';
import { hasMalformedParams, malformedParamsIds } from './params.js';
import { jsonReply, type DirectReply, type McpReply } from './reply.js';
import { safeSdkResponse } from './sdk-errors.js';
import { SessionKeys } from './session-keys.js';
import type { HttpRequestContext, McpEndpoint } from './server.js';
import type { Telemetry } from './telemetry.js';

const LEGACY_VERSIONS: ReadonlySet<string> = new Set(LEGACY_PROTOCOL_VERSIONS);
/** Newest 2025-era revision: what a legacy client gets when it asks for one this server does not speak. */
const LATEST_LEGACY_VERSION = LEGACY_PROTOCOL_VERSIONS[0]!;


/** One and the same answer for an unknown, expired, deleted or foreign session. */
function sessionNotFound(): DirectReply {
  return jsonReply(404, jsonRpcError(null, JSON_RPC.sessionNotFound, 'Session not found.'));
}

function unavailable(error: SessionStoreUnavailableError): DirectReply {
  return jsonReply(503, jsonRpcError(null, JSON_RPC.refused, 'Service temporarily unavailable.'), { 'retry-after': String(error.retryAfterSeconds) });
}

/** A request whose params do not satisfy its method's schema (see `params.ts`): answered with its id, nothing echoed. */
function invalidParams(body: unknown): DirectReply {
  return jsonReply(200, jsonRpcError(messageId(body), JSON_RPC.invalidParams, 'Invalid params.'));
}

interface InitializeParams {
  protocolVersion?: unknown;
  clientInfo?: { name?: unknown; version?: unknown; title?: unknown };
}

function initializeParams(body: unknown): InitializeParams | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const message = body as { method?: unknown; params?: unknown };
  return message.method === 'initialize' ? ((message.params ?? {}) as InitializeParams) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The fields every `initialize` must carry, with their types (the SDK's schema checks the rest). */
function wellFormedInitialize(params: InitializeParams): boolean {
  const { clientInfo } = params;
  return (
    isObject(params) &&
    typeof params.protocolVersion === 'string' &&
    isObject((params as { capabilities?: unknown }).capabilities) &&
    isObject(clientInfo) &&
    typeof clientInfo.name === 'string' &&
    typeof clientInfo.version === 'string'
  );
}

function messageId(body: unknown): string | number | null {
  const id = isObject(body) ? body.id : undefined;
  return isRequestId(id) ? id : null;
}

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => initializeParams(message) !== undefined) : initializeParams(body) !== undefined;
}

/**
 * The web `Request` the SDK handlers read: method, URL and headers. The body is not copied: the SDK
 * is always handed the already parsed body, and never reads this one.
 */
function webRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  const host = joinedHeader(req.headers, 'host') ?? 'localhost';
  return new Request(`http://${host}${req.url ?? '/'}`, { method: (req.method ?? 'GET').toUpperCase(), headers, signal });
}

/** Longest delay a Node timer takes (about 24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

interface ListenRequest {
  readonly params: { readonly notifications?: unknown } & Record<string, unknown>;
  readonly [key: string]: unknown;
}

function isListen(route: InboundClassificationOutcome, body: unknown): body is ListenRequest {
  return route.kind === 'modern' && route.messageKind === 'request' && isObject(body) && body.method === 'subscriptions/listen' && isObject(body.params);
}

/** The `tools/call` of a modern-era request: its name and arguments, or `undefined`. */
function toolCallOf(route: InboundClassificationOutcome, body: unknown): { name: string; args: unknown } | undefined {
  if (route.kind !== 'modern' || route.messageKind !== 'request' || !isObject(body) || body.method !== 'tools/call' || !isObject(body.params)) return undefined;
  const { name, arguments: args } = body.params;
  return typeof name === 'string' ? { name, args } : undefined;
}

export interface McpEndpointOptions {
  /** Open `subscriptions/listen` streams per principal. @default - a new counter with the default bound */
  readonly listens?: ListenSlots;
  readonly dispatch: ToolDispatch;
  readonly sessions: SessionStore;
  readonly telemetry: Telemetry;
  readonly maxBodyBytes: number;
  /** The server-to-client requests of 2025-era calls: pending registry and the sampling screen. */
  readonly input: { readonly pending: PendingInputs; readonly screenSampling: SamplingScreen };
}

/** What a fresh server of the session needs to know of it. */
function legacySession(id: string, record: SessionRecord, principal: HttpRequestContext['principal']): LegacySession {
  return {
    id,
    caller: { issuer: principal.issuer, subject: principal.subject, clientId: principal.clientId },
    protocolVersion: record.protocolVersion,
    clientCapabilities: record.clientCapabilities,
    clientInfo: record.clientInfo,
    notAfter: record.absoluteExpiresAt,
  };
}

/**
 * Routes an authenticated request to its protocol era.
 *
 * - Modern (2026-07-28): stateless, served by the SDK's per-request handler; cross-call state lives
 *   behind owner-checked handles.
 * - Legacy (2025-11-25 and older): `initialize` mints a durable session (stored, owner-bound,
 *   expiring) returned in `Mcp-Session-Id`; every later request must name a live session of the same
 *   owner (404 otherwise, the same answer whatever the reason); `DELETE` ends it; `GET` is 405 (no
 *   standalone stream is served). Each request is served by a fresh server instance, so any instance
 *   in any region can serve any session. A call that asks the client for input (elicitation,
 *   sampling, roots) keeps its stream open; the client's answer, a POST of JSON-RPC responses only,
 *   is routed to the waiting call on whichever instance it waits (see `legacy-serve.ts`).
 *
 * The era is decided by the SDK's own classifier (`classifyInboundRequest`, the step behind
 * `isLegacyRequest`). A plain `tools/call` in either era is answered on the direct path (see
 * `direct-call.ts`), and so are a plain `initialize`, `tools/list` and `server/discover` (see
 * `direct-answers.ts`) and a plain `resources/read` and `prompts/get` (see `direct-capabilities.ts`),
 * after the same session checks; every other request goes to the SDK.
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint & { close(): Promise<void> } {
  const { sessions, telemetry, dispatch } = options;
  const modern = createMcpHandler(dispatch.factory, { legacy: 'reject', maxRequestBodySize: options.maxBodyBytes });
  const listens = options.listens ?? new ListenSlots();
  const { pending } = options.input;
  const serving = { factory: dispatch.factory, pending, screenSampling: options.input.screenSampling, maxRequestBodySize: options.maxBodyBytes };
  const answers = createDirectAnswers(dispatch);
  const capabilities = createDirectCapabilities(dispatch);
  const routes = createRouteClassifier();
  const sessionKeys = new SessionKeys((value) => telemetry.hash(value));

  /**
   * SEP-2243: a 2026-07-28 `tools/call` whose `Mcp-Param-*` headers disagree with its arguments is
   * refused before either path serves it: 400, `-32020`, naming the header, never the values.
   */
  function paramHeaderMismatch(req: IncomingMessage, context: HttpRequestContext, route: InboundClassificationOutcome): DirectReply | undefined {
    const call = toolCallOf(route, context.parsedBody);
    const header = call && dispatch.mismatchedParamHeader(context.principal, call.name, call.args, req.headers);
    if (!header) return undefined;
    return jsonReply(400, jsonRpcError(messageId(context.parsedBody), JSON_RPC.headerMismatch, `Bad Request: the ${header} header does not match the arguments.`));
  }

  /**
   * `subscriptions/listen` (2026-07-28), served by the SDK's listen router, with the kit's rules
   * around it: at most `MAX_LISTENS_PER_PRINCIPAL` open streams per principal on this instance (429
   * beyond); the resources to watch narrowed to those the policy lets the principal read, so a hidden
   * resource is dropped from the acknowledgement exactly like a missing one; the stream ends when the
   * client goes away, when the token expires, or on shutdown, and its slot is given back then.
   */
  async function listen(req: IncomingMessage, context: HttpRequestContext, body: ListenRequest): Promise<McpReply> {
    const release = listens.acquire(ownerKey(context.principal));
    if (!release) {
      return jsonReply(429, jsonRpcError(messageId(body), JSON_RPC.refused, 'Too many open subscriptions.'), { 'retry-after': '60' });
    }
    try {
      const untilExpiry = Math.max(0, context.principal.expiresAt * 1000 - Date.now());
      const signal = AbortSignal.any([context.disconnected.signal, context.shutdown, AbortSignal.timeout(Math.min(untilExpiry, MAX_TIMER_MS))]);
      const response = await modern.fetch(webRequest(req, signal), { authInfo: toAuthInfo(context), parsedBody: visibleListen(body, context.principal) });
      return safeSdkResponse(releasingWhenDone(response, release), context.correlationId);
    } catch (error) {
      release();
      throw error;
    }
  }

  /** The listen request with `resourceSubscriptions` narrowed to what the principal may read. */
  function visibleListen(body: ListenRequest, principal: HttpRequestContext['principal']): ListenRequest {
    const notifications = body.params.notifications;
    const uris = isObject(notifications) ? notifications.resourceSubscriptions : undefined;
    if (!Array.isArray(uris)) return body;
    const visible = uris.filter((uri): uri is string => typeof uri === 'string' && dispatch.mayReadResource(principal, uri));
    return { ...body, params: { ...body.params, notifications: { ...(notifications as Record<string, unknown>), resourceSubscriptions: visible } } };
  }

  /** Calls the tool on the direct path; `undefined` (nothing called) when the SDK must answer instead. */
  async function direct(call: DirectToolCall, context: HttpRequestContext, era: 'modern' | 'legacy'): Promise<DirectReply | undefined> {
    const pending = dispatch.callTool(context, call.name, call.args, context.disconnected);
    if (pending === undefined) return undefined;
    const result = await pending;
    return era === 'modern' ? modernReply(call, result, dispatch.serverInfo) : legacyReply(call, result);
  }

  async function serveLegacy(req: IncomingMessage, context: HttpRequestContext, call: DirectToolCall | undefined): Promise<McpReply> {
    const sessionId = joinedHeader(req.headers, 'mcp-session-id') ?? null;
    const { principal } = context;
    let authInfo: AuthInfo | undefined;
    const sdk = async (session?: LegacySession, logging?: SessionScope) =>
      safeSdkResponse(
        await serveLegacyRequest(serving, webRequest(req, context.disconnected.signal), {
          authInfo: (authInfo ??= toAuthInfo(context, logging)),
          parsedBody: context.parsedBody,
          ...(session ? { session } : {}),
        }),
        context.correlationId,
        malformedParamsIds(context.parsedBody, 'legacy'),
      );

    if (req.method === 'GET') {
      return jsonReply(405, jsonRpcError(null, JSON_RPC.invalidRequest, 'Method not allowed.'), { allow: 'POST, DELETE' });
    }
    if (req.method === 'POST' && containsInitialize(context.parsedBody)) {
      const params = initializeParams(context.parsedBody);
      if (!params || sessionId !== null) {
        return jsonReply(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'initialize must be sent alone and without a session id.'));
      }
      if (!wellFormedInitialize(params)) {
        // Checked here, before the SDK (whose answer would be a raw schema dump) and before a session is minted.
        return jsonReply(400, jsonRpcError(messageId(context.parsedBody), JSON_RPC.invalidParams, 'Invalid params: initialize needs protocolVersion, capabilities and clientInfo.'));
      }
      const answered = answers.legacyInitialize(context.parsedBody, req.headers);
      const response = answered?.reply ?? (await sdk());
      if (response instanceof Response && !response.ok) return response;
      const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
      const clientInfo = params.clientInfo;
      const created = await context.span.step('session', () =>
        sessions.createSession(principal, {
          protocolVersion: LEGACY_VERSIONS.has(requested) ? requested : LATEST_LEGACY_VERSION,
          ...(clientInfo && typeof clientInfo.name === 'string' && typeof clientInfo.version === 'string'
            ? { clientInfo: { name: clientInfo.name, version: clientInfo.version } }
            : {}),
          clientCapabilities: (params as { capabilities?: unknown }).capabilities,
        }),
      );
      telemetry.sessionOpened();
      context.record.sessionHash = telemetry.hash(created.id);
      if (!(response instanceof Response)) return { ...response, headers: { ...response.headers, 'mcp-session-id': created.id } };
      const headers = new Headers(response.headers);
      headers.set('mcp-session-id', created.id);
      return new Response(response.body, { status: response.status, headers });
    }

    if (sessionId === null) {
      return jsonReply(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Mcp-Session-Id header is required.'));
    }
    // Only the shape of an id this kit mints is looked up (or hashed for the log): anything else,
    // a JWT-shaped value included, is answered like an unknown session.
    const named = sessionKeys.of(sessionId, req.socket);
    if (!named) return sessionNotFound();
    context.record.sessionHash = named.logHash;

    if (req.method === 'DELETE') {
      const ended = await context.span.step('session', () => sessions.deleteSession(named.key, principal));
      if (!ended) return sessionNotFound();
      pending.endSession(sessionId);
      telemetry.sessionEnded();
      return { status: 204, headers: {}, body: '' };
    }

    const record = await context.span.step('session', () => sessions.getSession(named.key, principal));
    if (!record) return sessionNotFound();
    if (Array.isArray(context.parsedBody) && !batchingAllowed(record.protocolVersion)) {
      return jsonReply(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Invalid request: this protocol revision has no batches.'));
    }
    await sessions.touchSession(named.key, record);
    const answered = await routeAnswers(pending, sessionId, principal, context.parsedBody);
    if (answered) return answered;
    // A client that asked for logs gets its calls, reads and gets on the SDK's stream, where log
    // notifications travel. A plain tools/list carries no logs: its direct answer is the same at any level.
    const read = !call && record.logLevel === undefined ? legacyDirectCapability(context.parsedBody, req.headers) : undefined;
    // The params of a request in the direct shape satisfy its schema by construction (direct-capabilities.ts).
    if (!read && hasMalformedParams(context.parsedBody, 'legacy')) return invalidParams(context.parsedBody);
    const logging: SessionScope = {
      ...(record.logLevel !== undefined ? { logLevel: record.logLevel } : {}),
      setLogLevel: (level) => context.span.step('session', () => sessions.setLogLevel(named.key, principal, level)),
    };
    return (
      (call && record.logLevel === undefined && (await direct(call, context, 'legacy'))) ||
      (read && (await capabilities.serve(read, context, context.disconnected, 'legacy'))) ||
      answers.legacyRequest(context.parsedBody, req.headers, principal) ||
      sdk(legacySession(sessionId, record, principal), logging)
    );
  }

  async function serveModern(req: IncomingMessage, context: HttpRequestContext, route: InboundClassificationOutcome): Promise<McpReply> {
    const mismatch = paramHeaderMismatch(req, context, route);
    if (mismatch) return mismatch;
    if (isListen(route, context.parsedBody)) return listen(req, context, context.parsedBody);
    const read = modernDirectCapability(route, context.parsedBody, req.headers);
    if (!read && hasMalformedParams(context.parsedBody, 'modern')) return invalidParams(context.parsedBody);
    const call = modernDirectCall(route, context.parsedBody, req.headers);
    const answered = call && (await direct(call, context, 'modern'));
    if (answered) return answered;
    const listed = answers.modernRequest(route, context.parsedBody, req.headers, context.principal);
    if (listed) return listed;
    const served = read && (await capabilities.serve(read, context, context.disconnected, 'modern'));
    if (served) return served;
    return safeSdkResponse(
      await modern.fetch(webRequest(req, context.disconnected.signal), { authInfo: toAuthInfo(context), parsedBody: context.parsedBody }),
      context.correlationId,
    );
  }

  return {
    async handle(req, context) {
      try {
        // What `isLegacyRequest` decides, from the same classifier, without building a web request.
        // A plain legacy tools/call, and any plain request without an envelope claim, is legacy to
        // that classifier by construction (see `legacyDirectCall`, `legacyByShape`), so it is not
        // run for the most common legacy requests; nor for a plain modern request whose envelope it
        // has already accepted (see `direct-route.ts`).
        let route: InboundClassificationOutcome | undefined;
        let legacyCall: DirectToolCall | undefined;
        if (req.method === 'POST') {
          legacyCall = legacyDirectCall(context.parsedBody, req.headers);
          if (!legacyCall && !legacyByShape(context.parsedBody, req.headers)) {
            route = routes.classify(context.parsedBody, req.headers);
          }
        }
        if (route === undefined || route.kind === 'legacy') {
          context.record.era = 'legacy';
          context.span.annotate('era', 'legacy');
          return await serveLegacy(req, context, legacyCall);
        }
        context.record.era = 'modern';
        context.span.annotate('era', 'modern');
        return await serveModern(req, context, route);
      } catch (error) {
        if (error instanceof SessionStoreUnavailableError) {
          telemetry.failure(context.correlationId, error, 'session');
          return unavailable(error);
        }
        throw error;
      }
    },
    close: async () => {
      pending.close();
      await modern.close();
    },
  };
}
