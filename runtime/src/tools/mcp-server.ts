import {
  isInputRequiredResult,
  LOG_LEVEL_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  Server,
  type GetPromptResult,
  type ReadResourceResult,
  type ServerCapabilities,
  SUPPORTED_PROTOCOL_VERSIONS,
  type AuthInfo,
  type McpServerFactory,
} from '@modelcontextprotocol/server';
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../auth/principal.js';
import type { CapabilityCatalog } from '../capabilities/catalog.js';
import { createCapabilityService, type CapabilityRequest, type CapabilityService } from '../capabilities/serve.js';
import { z } from 'zod';
import { createInputRounds, memoryLedger, type InputRound, type InputRounds } from '../input/index.js';
import { isLogLevel, LOG_LEVELS, type LogLevel, type LogSink } from '../logging/index.js';
import type { ToolDefinition } from './definition.js';
import { invokeTool, type CallAnswer, type CallResult, type CancelSource, type InvokeDependencies, type ProgressReporter, type TraceStep } from './invoke.js';
import type { ToolCatalog, ToolDescriptor } from './registry.js';
import { mismatchedParamHeader } from './param-headers.js';

/** What the HTTP layer hands to the MCP layer for one request, inside `AuthInfo.extra`. */
export interface RequestScope {
  readonly principal: Principal;
  readonly correlationId: string;
  /** Aborted on server shutdown. */
  readonly shutdown: AbortSignal;
  /** Runs a step of the request in its own trace span. */
  readonly step: TraceStep;
  /** The access record of the request (the HTTP layer's), told when an answer is `input_required`. */
  readonly record?: { resultType?: 'input_required' };
}

/** The legacy-era session a request names, as the MCP layer sees it (the HTTP layer has already checked it). */
export interface SessionScope {
  /** The level of the session's last `logging/setLevel`; absent: the client asked for no logs. */
  readonly logLevel?: LogLevel;
  /** Records a `logging/setLevel` in the session; `false` when the session is no longer the caller's or live. */
  setLogLevel(level: LogLevel): Promise<boolean>;
}

const SET_LEVEL_PARAMS = z.looseObject({ level: z.enum(LOG_LEVELS) });

const SCOPE_KEY = 'enterpriseMcpScope';
const SESSION_KEY = 'enterpriseMcpSession';

/** The stateless revision this server speaks, besides the 2025-era ones. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** The 2025-era revisions (negotiated with `initialize`), newest first. */
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = SUPPORTED_PROTOCOL_VERSIONS.filter((version) => version < MODERN_PROTOCOL_VERSION);

/**
 * Most rounds of input one call may ask for (the SDK's legacy shim re-enters the handler after each).
 * The wait of each round is bounded by the input deadline (`MCP_INPUT_DEADLINE_SECONDS`), which the
 * HTTP layer enforces; the SDK's own per-round timeout is set above its largest value.
 */
export const INPUT_ROUNDS = 4;
const SDK_ROUND_TIMEOUT_MS = 3_700_000;

/** Every protocol revision the server accepts, newest first. */
export const PROTOCOL_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS];

/**
 * Wraps a verified request scope in the SDK's `AuthInfo`. The token itself is not passed on: tools
 * and the SDK never see it.
 */
export function toAuthInfo(scope: RequestScope, session?: SessionScope): AuthInfo {
  return {
    token: '',
    clientId: scope.principal.clientId,
    scopes: [...scope.principal.scopes],
    expiresAt: scope.principal.expiresAt,
    extra: session ? { [SCOPE_KEY]: scope, [SESSION_KEY]: session } : { [SCOPE_KEY]: scope },
  };
}

/** The legacy-era session the HTTP layer attached to `AuthInfo`, if any. */
function sessionOf(authInfo: AuthInfo | undefined): SessionScope | undefined {
  return authInfo?.extra?.[SESSION_KEY] as SessionScope | undefined;
}

/**
 * The level from which a call's log messages go to the client: the request's `_meta` `logLevel` in
 * 2026-07-28 (none without it), the session's `logging/setLevel` in the 2025 era (none before it).
 */
function logThreshold(era: 'legacy' | 'modern', envelope: { readonly [LOG_LEVEL_META_KEY]?: unknown } | undefined, session: SessionScope | undefined): LogLevel | undefined {
  const level = era === 'modern' ? envelope?.[LOG_LEVEL_META_KEY] : session?.logLevel;
  return isLogLevel(level) ? level : undefined;
}

/** The request scope the HTTP layer attached to `AuthInfo`. */
export function scopeOf(authInfo: AuthInfo | undefined): RequestScope {
  const scope = authInfo?.extra?.[SCOPE_KEY] as RequestScope | undefined;
  // The HTTP layer authenticates before the MCP layer runs; reaching here without a scope is a bug.
  if (!scope) throw new ProtocolError(ProtocolErrorCode.InternalError, 'Internal error');
  return scope;
}

function printableName(name: unknown): string {
  return typeof name === 'string' ? name.slice(0, 64).replace(/[^\w.-]/g, '?') : '';
}

/** The request of `scope` as the capability pipeline takes it, cancelled by `cancel` or shutdown. */
function capabilityRequest(scope: RequestScope, cancel: CancelSource): CapabilityRequest {
  return { principal: scope.principal, correlationId: scope.correlationId, signals: [cancel, scope.shutdown], step: scope.step };
}

/**
 * Registers the resource, prompt and completion methods on one SDK server instance. Lists answer
 * what the policy lets this principal use; reads, gets and completions go through the capability
 * pipeline, which answers a hidden item exactly like a missing one. `resources/subscribe` (2025 era)
 * is accepted for a resource the principal may read: the resources served here never change while
 * a session lives, so no update notification is due and nothing is held per subscription.
 */
function registerCapabilities(server: Server, scope: RequestScope, capabilities: CapabilityCatalog, service: CapabilityService, rounds: InputRounds): void {
  const { principal } = scope;
  if (capabilities.hasResources) {
    server.setRequestHandler('resources/list', async () => ({ resources: capabilities.listResources(principal) }));
    server.setRequestHandler('resources/templates/list', async () => ({ resourceTemplates: capabilities.listTemplates(principal) }));
    server.setRequestHandler('resources/read', async (request, ctx) => service.readResource(capabilityRequest(scope, ctx.mcpReq.signal), request.params.uri));
    const subscription = async (request: { params: { uri: string } }) => {
      if (!capabilities.findResource(principal, request.params.uri)) throw new ResourceNotFoundError(request.params.uri.slice(0, 2_048));
      return {};
    };
    server.setRequestHandler('resources/subscribe', subscription);
    server.setRequestHandler('resources/unsubscribe', subscription);
  }
  if (capabilities.hasPrompts) {
    server.setRequestHandler('prompts/list', async () => ({ prompts: capabilities.listPrompts(principal) }));
    server.setRequestHandler('prompts/get', async (request, ctx) => {
      const round = await rounds.begin(scope.principal, ctx, 'prompts/get', request.params.name, request.params.arguments ?? {}, () => server.getClientCapabilities());
      const answer = await service.getPrompt(capabilityRequest(scope, ctx.mcpReq.signal), request.params.name, request.params.arguments ?? {}, round);
      if (isInputRequiredResult(answer) && scope.record) scope.record.resultType = 'input_required';
      return answer;
    });
  }
  if (capabilities.hasCompletions) {
    server.setRequestHandler('completion/complete', async (request, ctx) =>
      service.complete(capabilityRequest(scope, ctx.mcpReq.signal), request.params.ref, request.params.argument),
    );
  }
}

export interface ServerFactoryOptions {
  readonly name: string;
  readonly version: string;
  readonly catalog: ToolCatalog;
  /** Resources, templates and prompts served beside the tools. @default - none */
  readonly capabilities?: CapabilityCatalog;
  readonly invoke: InvokeDependencies;
  /**
   * Multi round-trip state: the verify hook, single use and sealing (runtime/src/input).
   * @default - no key: every echoed requestState is refused and none can be sealed
   */
  readonly rounds?: InputRounds;
}

/** Serves `tools/list` and `tools/call` for both protocol eras, built once at start-up. */
export interface ToolDispatch {
  /** The SDK server factory both eras use for every request the HTTP layer does not answer itself. */
  readonly factory: McpServerFactory;
  /** `{ name, version }` of this server, as the SDK reports it. */
  readonly serverInfo: { readonly name: string; readonly version: string };
  /** The capabilities every instance of `factory` declares (the same for every request). */
  readonly capabilities: Readonly<ServerCapabilities>;
  /** What `tools/list` answers this principal: the same policy decision the SDK server's handler makes. */
  listTools(principal: Principal): ToolDescriptor[];
  /**
   * Calls tool `name` for the request's principal: the same policy check and the same call the SDK
   * server's `tools/call` handler makes. Returns `undefined`, calling nothing, when the tool is
   * unknown or hidden from this principal, so the caller can let the SDK answer that case.
   *
   * @param cancel - aborts when the client goes away
   */
  callTool(scope: RequestScope, name: string, args: unknown, cancel: CancelSource): Promise<CallResult> | undefined;
  /**
   * For a 2026-07-28 `tools/call`: the `Mcp-Param-*` header that disagrees with the arguments, or
   * `undefined` when every mirrored parameter of the tool agrees (or the tool is unknown or hidden).
   */
  mismatchedParamHeader(principal: Principal, name: string, args: unknown, headers: IncomingHttpHeaders): string | undefined;
  /** Whether this principal may read the resource `uri` (the one policy that lists and reads; unknown reads as no). */
  mayReadResource(principal: Principal, uri: string): boolean;
  /**
   * Reads `uri` for the request's principal: the call the SDK server's `resources/read` handler
   * makes. Rejects with the protocol error that handler would throw (a missing or hidden resource
   * alike). `undefined`, doing nothing, when the server serves no resources.
   *
   * @param cancel - aborts when the client goes away
   */
  readResource(scope: RequestScope, uri: string, cancel: CancelSource): Promise<ReadResourceResult> | undefined;
  /**
   * Gets prompt `name` for the request's principal: the call the SDK server's `prompts/get` handler
   * makes, without an input round. `undefined`, doing nothing, when the server serves no prompts or
   * the prompt declares input it may ask for (rounds and the legacy shim live on the SDK path);
   * a missing or hidden prompt rejects as that handler would.
   */
  getPrompt(scope: RequestScope, name: string, args: Record<string, string>, cancel: CancelSource): Promise<GetPromptResult> | undefined;
}

/**
 * The MCP tool dispatch both protocol eras use. Everything is prepared here once: the catalog's
 * descriptors and JSON schemas are precomputed, the capabilities and supported versions are fixed.
 * The factory's instances register two request handlers that close over that state; no schema is
 * converted per request.
 *
 * - `tools/list` answers the tools the policy lets this principal use.
 * - `tools/call` re-checks the same policy; a hidden tool is answered exactly like an unknown one.
 */
export function createToolDispatch(options: ServerFactoryOptions): ToolDispatch {
  const { catalog } = options;
  const info = { name: options.name, version: options.version };

  const invoke = (scope: RequestScope, tool: ToolDefinition, args: unknown, cancel: CancelSource, progress?: ProgressReporter, input?: InputRound, log?: LogSink): Promise<CallAnswer> =>
    invokeTool(options.invoke, {
      principal: scope.principal,
      tool,
      args,
      correlationId: scope.correlationId,
      signals: [cancel, scope.shutdown],
      step: scope.step,
      ...(progress ? { progress } : {}),
      ...(input ? { input } : {}),
      ...(log ? { log } : {}),
    });

  const rounds = options.rounds ?? createInputRounds({ ledger: memoryLedger({ ttlSeconds: 60, perPrincipal: 1 }) });
  const capabilities = options.capabilities;
  const service = capabilities && createCapabilityService(capabilities, options.invoke);
  const declared = (): ServerCapabilities => ({
    tools: { listChanged: false },
    logging: {},
    ...(capabilities?.hasResources ? { resources: { subscribe: true, listChanged: false } } : {}),
    ...(capabilities?.hasPrompts ? { prompts: { listChanged: false } } : {}),
    ...(capabilities?.hasCompletions ? { completions: {} } : {}),
  });

  const listTools = (principal: Principal): ToolDescriptor[] => catalog.listFor(principal);

  const factory: McpServerFactory = (context) => {
    const scope = scopeOf(context.authInfo);
    const session = sessionOf(context.authInfo);
    // Options are built per instance: an SDK server may keep and change what it is given.
    const server = new Server(info, {
      capabilities: declared(),
      supportedProtocolVersions: [...PROTOCOL_VERSIONS],
      inputRequired: { maxRounds: INPUT_ROUNDS, roundTimeoutMs: SDK_ROUND_TIMEOUT_MS },
      // Every echoed requestState is opened and checked (caller, method, expiry) before a handler runs.
      requestState: { verify: rounds.verifier(scope.principal) },
    });
    if (session) {
      // Replaces the SDK's built-in handler, which keeps the level in this one-request instance: the
      // level lives in the session record, which every later request of the session reads.
      // Its own params schema, so that a level outside the eight is answered -32602 (invalid params).
      server.setRequestHandler('logging/setLevel', { params: SET_LEVEL_PARAMS }, async ({ level }) => {
        if (!(await session.setLogLevel(level))) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Invalid params');
        return {};
      });
    }
    server.setRequestHandler('tools/list', async () => ({ tools: listTools(scope.principal) }));
    server.setRequestHandler('tools/call', async (request, ctx) => {
      const tool = catalog.find(scope.principal, request.params.name);
      if (!tool) throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown tool: ${printableName(request.params.name)}`);
      // Progress goes to the client only when it asked for it with a progress token (both eras).
      const token = request.params._meta?.progressToken;
      const progress: ProgressReporter | undefined =
        token === undefined
          ? undefined
          : (update) => ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, ...update } });
      // Log messages go to the client on the call's stream only from the level it asked for.
      const threshold = logThreshold(context.era, ctx.mcpReq.envelope, session);
      const log: LogSink | undefined =
        threshold === undefined ? undefined : { threshold, send: (params) => ctx.mcpReq.notify({ method: 'notifications/message', params: { ...params } }) };
      const round = await rounds.begin(scope.principal, ctx, 'tools/call', tool.name, request.params.arguments, () => server.getClientCapabilities());
      const answer = await invoke(scope, tool, request.params.arguments, ctx.mcpReq.signal, progress, round, log);
      if (isInputRequiredResult(answer) && scope.record) scope.record.resultType = 'input_required';
      return answer;
    });
    if (capabilities && service) registerCapabilities(server, scope, capabilities, service, rounds);
    return server;
  };

  return {
    factory,
    serverInfo: info,
    capabilities: declared(),
    listTools,
    mayReadResource: (principal, uri) => capabilities?.findResource(principal, uri) !== undefined,
    readResource(scope, uri, cancel) {
      if (!service || !capabilities?.hasResources) return undefined;
      return service.readResource(capabilityRequest(scope, cancel), uri);
    },
    getPrompt(scope, name, args, cancel) {
      if (!service || !capabilities?.hasPrompts) return undefined;
      if ((capabilities.findPrompt(scope.principal, name)?.asks?.length ?? 0) > 0) return undefined;
      // Without a round, an input_required return is answered as the prompt failing: never input_required here.
      return service.getPrompt(capabilityRequest(scope, cancel), name, args) as Promise<GetPromptResult>;
    },
    mismatchedParamHeader(principal, name, args, headers) {
      const declared = catalog.paramHeaders(principal, name);
      return declared.length === 0 ? undefined : mismatchedParamHeader(declared, args, headers);
    },
    callTool(scope, name, args, cancel) {
      const tool = catalog.find(scope.principal, name);
      // A tool that may ask for input, or needs the platform's confirmation, is served by the SDK
      // only: its capability gate (-32021), the legacy shim and the round state live there.
      if (!tool || tool.confirm || (tool.asks?.length ?? 0) > 0) return undefined;
      // Without a round, invokeTool answers an input_required return as the tool failing: never input_required here.
      return invoke(scope, tool, args, cancel) as Promise<CallResult>;
    },
  };
}
