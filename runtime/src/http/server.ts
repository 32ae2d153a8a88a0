import { setMaxListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  AuthenticationError,
  advertisedScopes,
  authenticationChallenge,
  bearerToken,
  cognitoAuthorizationServerMetadata,
  insufficientScopeChallenge,
  ownerKey,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  type Principal,
  type TokenVerifier,
} from '../auth/index.js';
import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { AuthorizationServer } from '../authz/index.js';
import type { RuntimeConfig } from '../config/index.js';
import { JSON_RPC, jsonRpcError, unsupportedVersionError } from '../errors/index.js';
import { RateLimitUnavailableError } from '../limits/index.js';
import { RateLimiter } from '../tools/limits.js';
import { LEGACY_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSION, PROTOCOL_VERSIONS, type RequestScope } from '../tools/mcp-server.js';
import { batchProblem, toolCallsOf } from './batch.js';
import { BodyTimeoutError, BodyTooLargeError, ClientGoneError, bodyDeadlineMs, isJsonMediaType, readBody, type BodyDeadline } from './body.js';
import { ClientDisconnect, whenResponseOver } from './disconnect.js';
import { EventLoopWatch, cachedReadiness, livenessProblem } from './health.js';
import { messageShapeProblem } from './json-shape.js';
import { writeReply, type McpReply } from './reply.js';
import { InFlightSlots, type Slot } from './slots.js';
import { requestTarget } from './target.js';
import type { IdentifierHash } from '../observability/index.js';
import type { RequestOutcome, RequestSpan, Telemetry } from './telemetry.js';
import { traceMetaOf } from './trace-meta.js';

/** The MCP leg behind authentication: serves one authenticated request (both eras). */
export interface McpEndpoint {
  /** The answer to `req`, whose body (if any) was already read and parsed into `context.parsedBody`. */
  handle(req: IncomingMessage, context: HttpRequestContext): Promise<McpReply>;
}

/** What the HTTP layer knows about a request that passed the guards and authentication. */
export interface HttpRequestContext extends RequestScope {
  readonly parsedBody: unknown;
  /** Aborts when the client goes away before the response is complete. */
  readonly disconnected: ClientDisconnect;
  readonly span: RequestSpan;
  /** Filled in by the endpoint for the access log. */
  readonly record: AccessFields;
}

/** Access-log fields gathered while serving a request. */
export interface AccessFields {
  sessionHash?: IdentifierHash;
  era?: 'modern' | 'legacy';
  method?: string;
  tool?: string;
  principalHash?: IdentifierHash;
  /** The MCP client the token was issued to. */
  clientId?: string;
  /** Set when the answer asked the client for input (`input_required`). */
  resultType?: 'input_required';
  bytesIn: number;
}

export interface HttpServerDependencies {
  readonly config: RuntimeConfig;
  readonly verifier: TokenVerifier;
  readonly endpoint: McpEndpoint;
  readonly telemetry: Telemetry;
  /** Every scope the catalog defines. */
  readonly scopes: readonly string[];
  /** Per-tool pre-check for the 429 answer: false when this principal has no `wanted` free slots for the tool. */
  readonly toolSlotAvailable: (principal: Principal, tool: string, wanted: number) => boolean;
  /**
   * The per-principal request limit: `take(owner key)` resolves to 0 when admitted, else the seconds
   * to wait; it may throw `RateLimitUnavailableError` (answered 503).
   * @default - a limit per instance (`config.limits.ratePerMinute` on each)
   */
  readonly principalRate?: PrincipalRateLimit;
  /** Readiness checks of dependencies; each resolves or rejects within its own timeout. */
  readonly readiness: ReadonlyArray<() => Promise<void>>;
  /** The sign-in endpoints (metadata, registration, authorize, consent, token), when the broker is on. */
  readonly authz?: AuthorizationServer;
  /** The longest deadline of any tool: a request in flight far longer than every bounded wait is stuck. */
  readonly longestToolDeadlineMs: number;
}

/** Counts requests per principal; see {@link HttpServerDependencies.principalRate}. */
export interface PrincipalRateLimit {
  take(key: string, count?: number): number | Promise<number>;
}

/** How long `/readyz` keeps its answer: the store is asked at most once per this period per instance. */
const READINESS_TTL_MS = 5_000;
/** A readiness probe that has not answered in this time counts as not ready. */
const READINESS_TIMEOUT_MS = 2_000;

/** A started server. */
export interface RunningServer {
  readonly server: Server;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** The in-flight slots (requests admitted and not yet over). */
  readonly slots: InFlightSlots;
  /** Stops accepting, lets in-flight requests finish within the grace period, then closes everything. */
  close(): Promise<void>;
}

const SUPPORTED_VERSIONS = new Set<string>(PROTOCOL_VERSIONS);
const MCP_METHODS = new Set(['POST', 'GET', 'DELETE']);

function hostnameOf(host: string): string {
  return host.toLowerCase();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text).toString(),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function requestIdOf(body: unknown): string | number | null {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const id = (body as { id?: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') return id;
  }
  return null;
}

/**
 * The versions an unsupported-version error lists: the stateless revision for a request that carries
 * the per-request envelope (what `server/discover` names), else the 2025-era ones `initialize` negotiates.
 */
function versionsFor(body: unknown): readonly string[] {
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const meta = (body as { params?: { _meta?: unknown } }).params?._meta;
    if (meta && typeof meta === 'object' && PROTOCOL_VERSION_META_KEY in meta) return [MODERN_PROTOCOL_VERSION];
  }
  return LEGACY_PROTOCOL_VERSIONS;
}

function describeCall(body: unknown): { method?: string; tool?: string } {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return {};
  const { method, params } = body as { method?: unknown; params?: { name?: unknown } };
  const out: { method?: string; tool?: string } = {};
  if (typeof method === 'string') out.method = method.slice(0, 64);
  if (method === 'tools/call' && typeof params?.name === 'string') out.tool = params.name.slice(0, 64);
  return out;
}

function outcomeOf(status: number): RequestOutcome {
  if (status < 400) return 'ok';
  if (status === 401) return 'unauthenticated';
  if (status === 403) return 'denied';
  if (status === 429) return 'rate_limited';
  if (status === 503) return 'unavailable';
  if (status === 504) return 'timeout';
  return status >= 500 ? 'error' : 'client_error';
}

/**
 * Builds the node HTTP(S) server: guards, limits, health and metadata endpoints, authentication,
 * and the MCP endpoint behind them. Plain HTTP is only allowed on loopback (see the configuration).
 */
export function createMcpHttpServer(deps: HttpServerDependencies): { server: Server; listen(): Promise<RunningServer> } {
  const { config, telemetry } = deps;
  const { http } = config;
  const allowedHosts = new Set(http.allowedHosts.map(hostnameOf));
  const allowedOrigins = new Set(http.allowedOrigins.map((origin) => origin.toLowerCase()));
  const mcpPath = http.publicUrl.pathname.replace(/\/+$/, '') || '/';
  // One spelling of the scope names in the challenges and both metadata documents (see advertisedScopes).
  const challengeScopes = advertisedScopes(config, deps.scopes);
  const resourceMetadata = JSON.stringify(protectedResourceMetadata(config, challengeScopes));
  const prmPaths = new Set([protectedResourceMetadataPath(http.publicUrl), '/.well-known/oauth-protected-resource']);
  const asMetadata = cognitoAuthorizationServerMetadata(config, deps.scopes);
  const rateLimiter: PrincipalRateLimit = deps.principalRate ?? new RateLimiter(config.limits.ratePerMinute);
  const shutdown = new AbortController();
  // Every call in flight listens for shutdown (and removes its listener when it settles).
  setMaxListeners(config.limits.maxInFlight + 16, shutdown.signal);
  const slots = new InFlightSlots(config.limits.maxInFlight, config.limits.maxInFlightPerPrincipal);
  const sendTimeoutMs = http.sendTimeoutSeconds * 1000;
  const bodyDeadline: BodyDeadline = { baseMs: http.bodyTimeoutSeconds * 1000, minBytesPerSecond: http.bodyMinBytesPerSecond };
  const loop = new EventLoopWatch();
  const liveness = {
    maxLoopDelayMs: config.health.maxLoopDelayMs,
    saturatedMs: config.health.saturatedSeconds * 1000,
    // Every wait of a request is bounded: authentication and store calls by their timeouts, the body
    // by its deadline, the tool by its deadline, the answer by the send deadline. Far past their sum,
    // a request still in flight is a leak.
    stuckMs: 2 * (bodyDeadlineMs(bodyDeadline, http.maxBodyBytes) + deps.longestToolDeadlineMs + 2 * sendTimeoutMs) + 60_000,
  };

  // The verifier hands out the same principal object for every request of a cached token, so its
  // pseudonym is computed once per token, not once per request. Weak keys: nothing is kept alive.
  const principalHashes = new WeakMap<Principal, IdentifierHash>();
  const principalHash = (principal: Principal): IdentifierHash => {
    let hashed = principalHashes.get(principal);
    if (hashed === undefined) {
      hashed = telemetry.hash(ownerKey(principal));
      principalHashes.set(principal, hashed);
    }
    return hashed;
  };

  const readiness = cachedReadiness(deps.readiness, READINESS_TTL_MS, READINESS_TIMEOUT_MS);

  async function serveMcp(req: IncomingMessage, res: ServerResponse, span: RequestSpan, record: AccessFields, slot: Slot): Promise<number> {
    const method = req.method ?? '';
    const correlation = { 'x-amzn-trace-id': span.responseHeader };
    if (!MCP_METHODS.has(method)) {
      send(res, 405, jsonRpcError(null, JSON_RPC.invalidRequest, 'Method not allowed.'), { allow: 'POST, GET, DELETE', ...correlation });
      return 405;
    }
    if (method === 'POST' && !isJsonMediaType(req.headers['content-type'])) {
      send(res, 415, jsonRpcError(null, JSON_RPC.invalidRequest, 'Content-Type must be application/json.'), correlation);
      return 415;
    }
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > http.maxBodyBytes) {
      send(res, 413, jsonRpcError(null, JSON_RPC.invalidRequest, 'Request body too large.'), { connection: 'close', ...correlation });
      return 413;
    }
    // Authenticate every request, initialize and discovery included, before reading the body.
    const token = bearerToken(req.headers.authorization);
    let principal: Principal;
    try {
      if (token === undefined) throw new AuthenticationError('missing');
      principal = await span.step('authenticate', () => deps.verifier.verify(token, req.socket));
    } catch (error) {
      const reason = error instanceof AuthenticationError ? error.reason : 'keys_unavailable';
      telemetry.authFailure(reason);
      if (!(error instanceof AuthenticationError)) telemetry.failure(span.traceId, error, 'authenticate');
      if (reason === 'keys_unavailable') {
        send(res, 503, jsonRpcError(null, JSON_RPC.refused, 'Authentication is temporarily unavailable.'), { 'retry-after': '5', ...correlation });
        return 503;
      }
      send(res, 401, jsonRpcError(null, JSON_RPC.refused, 'Unauthorized.'), {
        'www-authenticate': authenticationChallenge(http.publicUrl, challengeScopes, token !== undefined),
        ...(req.complete ? {} : { connection: 'close' }),
        ...correlation,
      });
      return 401;
    }
    record.principalHash = principalHash(principal);
    span.annotate('principal', record.principalHash);
    if (principal.clientId) span.annotate('client_id', principal.clientId);
    record.clientId = principal.clientId;
    const owner = ownerKey(principal);
    if (!slot.bindTo(owner)) {
      // One principal may not hold more than its share of the slots (slow bodies, pipelining).
      telemetry.rateLimited('principal');
      send(res, 429, jsonRpcError(null, JSON_RPC.refused, 'Too many requests in progress.'), { 'retry-after': '1', ...(req.complete ? {} : { connection: 'close' }), ...correlation });
      return 429;
    }
    if (!principal.scopes.some((scope) => deps.scopes.includes(scope))) {
      send(res, 403, jsonRpcError(null, JSON_RPC.refused, 'Insufficient scope.'), {
        'www-authenticate': insufficientScopeChallenge(http.publicUrl, challengeScopes),
        ...correlation,
      });
      return 403;
    }
    let wait: number;
    try {
      wait = await rateLimiter.take(owner);
    } catch (error) {
      if (!(error instanceof RateLimitUnavailableError)) throw error;
      // Fail closed for the limit: without budget from the shared counter the request is refused.
      telemetry.failure(span.traceId, error, 'session');
      send(res, 503, jsonRpcError(null, JSON_RPC.refused, 'Temporarily unavailable.'), { 'retry-after': String(error.retryAfterSeconds), ...correlation });
      return 503;
    }
    if (wait > 0) {
      telemetry.rateLimited('principal');
      send(res, 429, jsonRpcError(null, JSON_RPC.refused, 'Too many requests.'), { 'retry-after': String(wait), ...correlation });
      return 429;
    }

    let parsedBody: unknown;
    if (method === 'POST') {
      let raw: Buffer;
      try {
        raw = await readBody(req, http.maxBodyBytes, bodyDeadline);
      } catch (error) {
        if (error instanceof BodyTooLargeError) {
          send(res, 413, jsonRpcError(null, JSON_RPC.invalidRequest, 'Request body too large.'), { connection: 'close', ...correlation });
          return 413;
        }
        if (error instanceof BodyTimeoutError) {
          send(res, 408, jsonRpcError(null, JSON_RPC.invalidRequest, 'Request body too slow.'), { connection: 'close', ...correlation });
          return 408;
        }
        if (error instanceof ClientGoneError) {
          // Nobody is left to answer; recorded as 499 (client closed request) in the access log.
          res.statusCode = 499;
          return 499;
        }
        throw error;
      }
      record.bytesIn = raw.length;
      // The shape of the whole message is bounded before anything parses or walks it.
      if (messageShapeProblem(raw) !== undefined) {
        send(res, 400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Invalid request: the message is too large or too deeply nested, or has a forbidden key.'), correlation);
        return 400;
      }
      try {
        parsedBody = JSON.parse(raw.toString('utf8'));
      } catch {
        send(res, 400, jsonRpcError(null, JSON_RPC.parseError, 'Parse error.'), correlation);
        return 400;
      }
      if (parsedBody === null || typeof parsedBody !== 'object') {
        send(res, 400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Invalid request.'), correlation);
        return 400;
      }
      Object.assign(record, describeCall(parsedBody));
      span.continueFrom(traceMetaOf(parsedBody));
      correlation['x-amzn-trace-id'] = span.responseHeader;
      if (Array.isArray(parsedBody)) {
        // An unsupported revision is answered below, as for a single message.
        const announced = headerValue(req, 'mcp-protocol-version');
        const refused = batchProblem(parsedBody, announced !== undefined && SUPPORTED_VERSIONS.has(announced) ? announced : undefined, config.limits.maxBatch);
        if (refused) {
          send(res, 400, jsonRpcError(null, JSON_RPC.invalidRequest, refused), correlation);
          return 400;
        }
        record.method = 'batch';
        // Every message of a batch counts against the rate limit (the first one already did).
        let batchWait: number;
        try {
          batchWait = await rateLimiter.take(owner, parsedBody.length - 1);
        } catch (error) {
          if (!(error instanceof RateLimitUnavailableError)) throw error;
          telemetry.failure(span.traceId, error, 'session');
          send(res, 503, jsonRpcError(null, JSON_RPC.refused, 'Temporarily unavailable.'), { 'retry-after': String(error.retryAfterSeconds), ...correlation });
          return 503;
        }
        if (batchWait > 0) {
          telemetry.rateLimited('principal');
          send(res, 429, jsonRpcError(null, JSON_RPC.refused, 'Too many requests.'), { 'retry-after': String(batchWait), ...correlation });
          return 429;
        }
      }
      for (const [tool, wanted] of toolCallsOf(parsedBody)) {
        if (deps.toolSlotAvailable(principal, tool, wanted)) continue;
        telemetry.rateLimited('tool');
        send(res, 429, jsonRpcError(requestIdOf(parsedBody), JSON_RPC.refused, 'Too many calls of this tool in progress.'), { 'retry-after': '1', ...correlation });
        return 429;
      }
    }
    span.continueFrom(undefined);
    // Checked once the body is read, so the error carries the request's JSON-RPC id (still after authentication).
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_VERSIONS.has(version)) {
      send(res, 400, unsupportedVersionError(requestIdOf(parsedBody), version, versionsFor(parsedBody)), correlation);
      return 400;
    }
    if (record.method) span.annotate('method', record.method);
    if (record.tool) span.annotate('tool', record.tool);

    const disconnected = new ClientDisconnect(res);
    const context: HttpRequestContext = {
      principal,
      correlationId: span.traceId,
      shutdown: shutdown.signal,
      disconnected,
      step: span.step,
      parsedBody,
      span,
      record,
    };
    res.setHeader('x-amzn-trace-id', span.responseHeader);
    try {
      await writeReply(res, await deps.endpoint.handle(req, context), disconnected, sendTimeoutMs);
    } finally {
      disconnected.dispose();
    }
    return res.statusCode;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const span = telemetry.startRequest({
      xAmznTraceId: typeof req.headers['x-amzn-trace-id'] === 'string' ? req.headers['x-amzn-trace-id'] : undefined,
      traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
      tracestate: typeof req.headers.tracestate === 'string' ? req.headers.tracestate : undefined,
    });
    const bytesBefore = req.socket.bytesWritten;
    const record: AccessFields = { bytesIn: 0 };
    let status = 500;
    let slot: Slot | undefined;
    try {
      const target = requestTarget(req.url);
      if (!target) {
        status = 400;
        send(res, 400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Bad request target.'), { connection: 'close' });
        return;
      }
      // From here on the request is in origin form: the SDK and the direct path see the same target.
      req.url = target.path;
      const path = target.pathname;
      if (path === '/healthz') {
        const problem = livenessProblem(slots, loop, liveness);
        status = problem ? 503 : 200;
        send(res, status, { status: problem ? 'unhealthy' : 'ok' });
        return;
      }
      if (path === '/readyz') {
        status = livenessProblem(slots, loop, liveness) === undefined && (await readiness()) ? 200 : 503;
        send(res, status, { status: status === 200 ? 'ready' : 'not ready' });
        return;
      }
      // An absolute-form target names the authority itself (RFC 9112, section 3.2.2): it is the one checked.
      const host = target.authority ?? req.headers.host;
      if (!host || !allowedHosts.has(hostnameOf(host))) {
        status = 421;
        send(res, 421, jsonRpcError(null, JSON_RPC.invalidRequest, 'Misdirected request.'));
        return;
      }
      // Sign-in endpoints are called by browsers of any origin (public clients, CORS without
      // credentials) and check their own requests: CSRF tokens, cookies bound to the flow, PKCE.
      if (deps.authz && (await deps.authz.handle(req, res, new URL(target.path, 'http://localhost')))) {
        status = res.statusCode;
        return;
      }
      const origin = req.headers.origin;
      if (origin !== undefined && !allowedOrigins.has(origin.toLowerCase())) {
        status = 403;
        send(res, 403, jsonRpcError(null, JSON_RPC.invalidRequest, 'Origin not allowed.'));
        return;
      }
      if (req.method === 'GET' && prmPaths.has(path)) {
        status = 200;
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
        res.end(resourceMetadata);
        return;
      }
      if (req.method === 'GET' && asMetadata && path === '/.well-known/oauth-authorization-server') {
        status = 200;
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
        res.end(JSON.stringify(asMetadata));
        return;
      }
      if (path !== mcpPath) {
        status = 404;
        send(res, 404, jsonRpcError(null, JSON_RPC.invalidRequest, 'Not found.'));
        return;
      }
      slot = shutdown.signal.aborted ? undefined : slots.open();
      if (!slot) {
        status = 503;
        telemetry.rateLimited('server');
        send(res, 503, jsonRpcError(null, JSON_RPC.refused, 'Server busy.'), { 'retry-after': '1', ...(shutdown.signal.aborted ? { connection: 'close' } : {}) });
        return;
      }
      status = await serveMcp(req, res, span, record, slot);
    } catch (error) {
      telemetry.failure(span.traceId, error, 'http');
      if (!res.headersSent) {
        status = 500;
        send(res, 500, jsonRpcError(null, JSON_RPC.internalError, `Internal error. Correlation id: ${span.traceId}.`));
      } else {
        res.destroy();
      }
    } finally {
      const finish = () => {
        const finalStatus = res.statusCode || status;
        span.annotate('outcome', outcomeOf(finalStatus));
        if (record.resultType) span.annotate('result_type', record.resultType);
        span.end(finalStatus);
        // Absent fields stay undefined: the access log reads only the fields it knows and leaves those out.
        telemetry.access({
          status: finalStatus,
          method: record.method ?? req.method ?? 'UNKNOWN',
          tool: record.tool || undefined,
          outcome: outcomeOf(finalStatus),
          latencyMs: Math.round((performance.now() - started) * 100) / 100,
          bytesIn: record.bytesIn,
          bytesOut: Math.max(0, req.socket.bytesWritten - bytesBefore),
          principalHash: record.principalHash || undefined,
          clientId: record.clientId || undefined,
          sessionHash: record.sessionHash || undefined,
          traceId: span.traceId,
          spanId: span.spanId || undefined,
          protocolEra: record.era || undefined,
          resultType: record.resultType || undefined,
        });
      };
      // The slot and the access log wait for the answer to be taken, within the send deadline:
      // a client that never reads loses its connection, and the slot comes back all the same.
      const held = slot;
      whenResponseOver(res, sendTimeoutMs, () => {
        held?.release();
        finish();
      });
    }
  }

  const serverOptions = {
    maxHeaderSize: http.maxHeaderBytes,
    keepAliveTimeout: http.keepAliveSeconds * 1000,
    headersTimeout: (http.keepAliveSeconds + 5) * 1000,
    requestTimeout: 120_000,
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    void handle(req, res);
  };
  const server: Server = http.tls
    ? (createHttpsServer(
        { ...serverOptions, cert: readFileSync(http.tls.certFile), key: readFileSync(http.tls.keyFile), minVersion: 'TLSv1.2' },
        listener,
      ) as unknown as Server)
    : createHttpServer(serverOptions, listener);
  // Malformed HTTP and oversized headers: answer 400/431 and close, never a 5xx.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  return {
    server,
    listen: () =>
      new Promise<RunningServer>((resolve, reject) => {
        server.once('error', reject);
        server.listen(http.port, http.host, () => {
          server.off('error', reject);
          const { port } = server.address() as AddressInfo;
          resolve({
            server,
            port,
            slots,
            close: async () => {
              const closed = new Promise<void>((done) => server.close(() => done()));
              server.closeIdleConnections();
              const grace = setTimeout(() => {
                shutdown.abort(new Error('shutdown'));
                server.closeAllConnections();
              }, http.shutdownGraceSeconds * 1000);
              grace.unref();
              await closed;
              clearTimeout(grace);
              loop.close();
              if (!shutdown.signal.aborted) shutdown.abort(new Error('shutdown'));
            },
          });
        });
      }),
  };
}
