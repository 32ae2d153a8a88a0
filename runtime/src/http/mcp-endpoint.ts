import {
  createMcpHandler,
  isLegacyRequest,
  legacyStatelessFallback,
  SUPPORTED_PROTOCOL_VERSIONS,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import { JSON_RPC, jsonRpcError } from '../errors/index.js';
import { SessionStoreUnavailableError, type SessionStore } from '../session/index.js';
import { toAuthInfo } from '../tools/mcp-server.js';
import type { HttpRequestContext, McpEndpoint } from './server.js';
import type { Telemetry } from './telemetry.js';

/** Newest 2025-era revision: what a legacy client gets when it asks for one this server does not speak. */
const LATEST_LEGACY_VERSION = '2025-11-25';
const LEGACY_VERSIONS = new Set(SUPPORTED_PROTOCOL_VERSIONS.filter((version) => version <= LATEST_LEGACY_VERSION));

// Visible ASCII, bounded: anything else cannot be one of our ids and is answered like an unknown one.
const SESSION_ID = /^[\x21-\x7E]{16,128}$/;

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers } });
}

/** One and the same answer for an unknown, expired, deleted or foreign session. */
function sessionNotFound(): Response {
  return json(404, jsonRpcError(null, JSON_RPC.sessionNotFound, 'Session not found.'));
}

function unavailable(error: SessionStoreUnavailableError): Response {
  return json(503, jsonRpcError(null, JSON_RPC.refused, 'Service temporarily unavailable.'), { 'retry-after': String(error.retryAfterSeconds) });
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

function containsInitialize(body: unknown): boolean {
  return Array.isArray(body) ? body.some((message) => initializeParams(message) !== undefined) : initializeParams(body) !== undefined;
}

export interface McpEndpointOptions {
  readonly factory: McpServerFactory;
  readonly sessions: SessionStore;
  readonly telemetry: Telemetry;
  readonly maxBodyBytes: number;
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
 *   in any region can serve any session.
 */
export function createMcpEndpoint(options: McpEndpointOptions): McpEndpoint & { close(): Promise<void> } {
  const { sessions, telemetry } = options;
  const modern = createMcpHandler(options.factory, { legacy: 'reject', maxRequestBodySize: options.maxBodyBytes });
  const legacy = legacyStatelessFallback(options.factory, undefined, { maxRequestBodySize: options.maxBodyBytes });

  async function serveLegacy(request: Request, context: HttpRequestContext): Promise<Response> {
    const authInfo = toAuthInfo(context);
    const sessionId = request.headers.get('mcp-session-id');
    const { principal } = context;

    if (request.method === 'GET') {
      return json(405, jsonRpcError(null, JSON_RPC.invalidRequest, 'Method not allowed.'), { allow: 'POST, DELETE' });
    }
    if (request.method === 'POST' && containsInitialize(context.parsedBody)) {
      const params = initializeParams(context.parsedBody);
      if (!params || sessionId !== null) {
        return json(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'initialize must be sent alone and without a session id.'));
      }
      const response = await legacy(request, { authInfo, parsedBody: context.parsedBody });
      if (!response.ok) return response;
      const requested = typeof params.protocolVersion === 'string' ? params.protocolVersion : '';
      const clientInfo = params.clientInfo;
      const created = await context.span.step('session', () =>
        sessions.createSession(principal, {
          protocolVersion: LEGACY_VERSIONS.has(requested) ? requested : LATEST_LEGACY_VERSION,
          ...(clientInfo && typeof clientInfo.name === 'string' && typeof clientInfo.version === 'string'
            ? { clientInfo: { name: clientInfo.name, version: clientInfo.version } }
            : {}),
        }),
      );
      telemetry.sessionOpened();
      context.record.sessionHash = telemetry.hash(created.id);
      const headers = new Headers(response.headers);
      headers.set('mcp-session-id', created.id);
      return new Response(response.body, { status: response.status, headers });
    }

    if (sessionId === null) {
      return json(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Mcp-Session-Id header is required.'));
    }
    if (!SESSION_ID.test(sessionId)) return sessionNotFound();
    context.record.sessionHash = telemetry.hash(sessionId);

    if (request.method === 'DELETE') {
      const ended = await context.span.step('session', () => sessions.deleteSession(sessionId, principal));
      if (!ended) return sessionNotFound();
      telemetry.sessionEnded();
      return new Response(null, { status: 204 });
    }

    const record = await context.span.step('session', () => sessions.getSession(sessionId, principal));
    if (!record) return sessionNotFound();
    await sessions.touchSession(sessionId, record);
    return legacy(request, { authInfo, parsedBody: context.parsedBody });
  }

  return {
    async handle(request, context) {
      try {
        const isLegacy = request.method !== 'POST' || (await isLegacyRequest(request, context.parsedBody, { maxRequestBodySize: options.maxBodyBytes }));
        context.record.era = isLegacy ? 'legacy' : 'modern';
        context.span.annotate('era', context.record.era);
        if (isLegacy) return await serveLegacy(request, context);
        return await modern.fetch(request, { authInfo: toAuthInfo(context), parsedBody: context.parsedBody });
      } catch (error) {
        if (error instanceof SessionStoreUnavailableError) {
          telemetry.failure(context.correlationId, error, 'session');
          return unavailable(error);
        }
        throw error;
      }
    },
    close: () => modern.close(),
  };
}
