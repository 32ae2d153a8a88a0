import type { JWTVerifyGetKey } from 'jose';
import { createLocalJWKSet } from 'jose';
import { createTokenVerifier, verifierByIssuer, type TokenVerifier } from './auth/index.js';
import { AuthzStore, createAuthorizationServer, createKmsSigner, createLocalSigner, createSigningClient, SigningUnavailableError, type AuthorizationServer, type SigningClientOptions, type TokenSigner } from './authz/index.js';
import { CapabilityCatalog, DEFAULT_CAPABILITIES, type CapabilityDeclarations, type PromptDefinition } from './capabilities/index.js';
import { moderatedText } from './capabilities/content.js';
import { ConfigError, type RuntimeConfig } from './config/index.js';
import { PublicError } from './errors/index.js';
import { createModerationProvider, findCredentialValue, LocalRulesModerationProvider, redactToolResult, type ModerationProvider } from './filters/index.js';
import { PendingInputs } from './http/legacy-input.js';
import { samplingScreen } from './http/legacy-sampling.js';
import { createMcpEndpoint } from './http/mcp-endpoint.js';
import { createInputRounds, createRequestStateCodec, dynamoLedger, memoryLedger, type InputRounds } from './input/index.js';
import { FleetRateLimiter } from './limits/index.js';
import { createMcpHttpServer, type RunningServer } from './http/server.js';
import type { InFlightSlots } from './http/slots.js';
import type { RequestSpan, Telemetry } from './http/telemetry.js';
import { createObservability, type MetaTraceContext, type Observability, type RequestTrace, type TraceAnnotationKey, type TraceId } from './observability/index.js';
import {
  createSessionStoreClient,
  DynamoSessionStore,
  SessionStoreUnavailableError,
  StateConflictError,
  StateTooLargeError,
  userStateAccess,
  type SessionStore,
  type SessionStoreClientOptions,
} from './session/index.js';
import { DEFAULT_TOOLS } from './tools/catalog/index.js';
import type { HandleAccess, ToolDefinition, UserStateAccess } from './tools/definition.js';
import type { OutputFilter, ToolCallObserver } from './tools/invoke.js';
import { ConcurrencyLimiter } from './tools/limits.js';
import { assertCatalogSafe } from './tools/lint.js';
import { createToolDispatch, INPUT_ROUNDS } from './tools/mcp-server.js';
import { ToolCatalog } from './tools/registry.js';
import { ownerKey } from './auth/principal.js';

export const SERVER_INFO = { name: 'enterprise-mcp-kit', version: '0.1.0' } as const;

/** Parts a caller may supply instead of the ones built from the configuration (tests, dev mode). */
export interface AppOverrides {
  /** The tools to serve. @default DEFAULT_TOOLS */
  readonly tools?: readonly ToolDefinition[];
  /** The resources, templates and prompts to serve. @default DEFAULT_CAPABILITIES */
  readonly capabilities?: CapabilityDeclarations;
  /**
   * The session store. @default - a DynamoSessionStore on the configured table. Given without
   * `storeClient`, the per-principal rate limit is counted per instance instead of across the fleet.
   */
  readonly sessions?: SessionStore;
  /** JWT keys, instead of the configured JWKS. */
  readonly keys?: JWTVerifyGetKey;
  /** Where logs and EMF metrics go. @default process.stdout */
  readonly logStream?: NodeJS.WritableStream;
  /** How the authorization server and the fleet rate limiter reach the session table. @default - the configured region and the SDK's endpoint resolution */
  readonly storeClient?: SessionStoreClientOptions;
  /** Extra CA certificates (PEM) the broker trusts for client metadata documents (tests; development uses NODE_EXTRA_CA_CERTS). */
  readonly metadataCa?: string;
  /** How the broker reaches KMS when it signs there (`MCP_BROKER_SIGNING_KEY_ID`). @default - the configured region and the SDK's endpoint resolution */
  readonly signingClient?: SigningClientOptions;
}

/** A running kit server. */
export interface App {
  readonly port: number;
  readonly url: string;
  readonly catalog: ToolCatalog;
  readonly capabilities: CapabilityCatalog;
  readonly sessions: SessionStore;
  readonly observability: Observability;
  readonly limiter: ConcurrencyLimiter;
  /** The server's in-flight slots (global and per principal). */
  readonly slots: InFlightSlots;
  /** The server-to-client requests of 2025-era calls waiting on this instance. */
  readonly pending: PendingInputs;
  /** Drains in-flight requests and releases everything the app opened. */
  close(): Promise<void>;
}

/**
 * The DynamoDB session store the configuration describes. The endpoint comes from the standard
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` variables unless `client` names one.
 */
export function createSessionStore(config: RuntimeConfig, client: SessionStoreClientOptions = {}): DynamoSessionStore {
  return new DynamoSessionStore({
    region: config.region,
    ...client,
    tableName: config.sessions.tableName,
    idleTimeoutSeconds: config.sessions.idleSeconds,
    absoluteLifetimeSeconds: config.sessions.maxSeconds,
    maxSessionsPerOwner: config.sessions.perOwner,
    cacheTtlSeconds: config.sessions.cacheSeconds,
  });
}

function mapStoreErrors<T>(run: () => Promise<T>): Promise<T> {
  return run().catch((error: unknown) => {
    if (error instanceof StateConflictError) throw new PublicError('state_conflict', [], { cause: error });
    if (error instanceof StateTooLargeError) throw new PublicError('state_too_large', [], { cause: error });
    if (error instanceof SessionStoreUnavailableError) throw new PublicError('unavailable', [], { cause: error });
    throw error;
  });
}

/**
 * One request's trace as the HTTP layer sees it: methods on the prototype, so a request costs one
 * object and one bound `step` (which the request context hands out on its own), not a closure per
 * method.
 */
class RequestSpanOf implements RequestSpan {
  constructor(
    private readonly trace: RequestTrace,
    private readonly observability: Observability,
  ) {}

  get traceId(): TraceId {
    return this.trace.traceId;
  }

  get spanId(): string | undefined {
    return this.trace.spanId;
  }

  get responseHeader(): string {
    return this.observability.traceHeaderValue(this.trace);
  }

  continueFrom(meta: MetaTraceContext | undefined): void {
    this.trace.continueFrom(meta);
  }

  readonly step = <T>(name: string, run: () => Promise<T>): Promise<T> => this.trace.step(name, run);

  annotate(key: TraceAnnotationKey, value: string): void {
    this.trace.annotate(key, value);
  }

  end(status: number): void {
    this.trace.setHttp(status);
    this.trace.end();
  }
}

function telemetryOf(observability: Observability): Telemetry {
  return {
    startRequest: (headers) => new RequestSpanOf(observability.startRequest(headers, 'mcp'), observability),
    access: (record) => {
      observability.accessLog(record);
      observability.countRequest(record.outcome, record.latencyMs);
    },
    authFailure: (reason) => observability.countAuthFailure(reason),
    rateLimited: (scope) => observability.countRateLimited(scope),
    sessionOpened: () => observability.countSession('opened'),
    sessionEnded: () => observability.countSession('ended'),
    failure: (correlationId, cause, where) => {
      observability.errorLog(correlationId, cause, { where });
      observability.countError(where);
    },
    hash: (value) => observability.hashIdentifier(value),
  };
}

/** The output filter of the runtime: redaction per profile, then moderation by `moderation` when the profile asks. */
export function outputFilterOf(moderation: ModerationProvider): OutputFilter {
  return {
    // The local rules answer from the text alone; a remote guardrail may change its verdict.
    deterministic: Object.getPrototypeOf(moderation) === LocalRulesModerationProvider.prototype,
    async apply(result, profile, signal) {
      const redacted = redactToolResult(result, profile);
      if (!profile.moderate) return { result: redacted.result, redactions: redacted.redactions, blocked: false };
      const text = moderatedText(redacted.result.content);
      const verdict = await moderation.moderate(text, signal);
      return { result: redacted.result, redactions: redacted.redactions, blocked: !verdict.allowed };
    },
  };
}

/**
 * The authorization server of the configuration, and the verifier of the tokens it signs: the same
 * rules as for the identity provider's tokens (pinned ES256, exact issuer, `aud` = this resource,
 * `typ: at+jwt`), keys from the signer itself rather than from the network.
 */
async function startBroker(
  config: RuntimeConfig,
  scopes: readonly string[],
  overrides: Pick<AppOverrides, 'storeClient' | 'metadataCa' | 'signingClient'>,
  observability: Observability,
): Promise<{ issuer: string; server: AuthorizationServer; verifier: TokenVerifier; close(): void }> {
  const broker = config.broker!;
  const key = broker.signingKey;
  let signer: TokenSigner;
  let signingClient: { destroy(): void } | undefined;
  if (key.kind === 'kms') {
    const kms = createSigningClient({ region: config.region, ...overrides.signingClient });
    signingClient = kms;
    signer = await createKmsSigner({ client: kms, keyId: key.keyId, verifyKeyIds: key.verifyKeyIds }).catch((error: unknown) => {
      kms.destroy();
      throw error;
    });
  } else {
    signer = await createLocalSigner(key.jwk);
  }
  const client = createSessionStoreClient({ region: config.region, ...overrides.storeClient });
  const server = createAuthorizationServer({
    config: broker,
    store: new AuthzStore({ client, tableName: config.sessions.tableName }),
    signer,
    scopes,
    ...(overrides.metadataCa ? { metadataCa: overrides.metadataCa } : {}),
    onFailure: (where, error) =>
      observability.logger.info('sign-in refused', {
        where,
        error: error instanceof Error ? error.message : 'unknown',
        // Why KMS could not sign (the SDK's error name, e.g. ThrottlingException), never request text.
        ...(error instanceof Error && error.cause instanceof SigningUnavailableError ? { cause: error.cause.message } : {}),
      }),
  });
  const verifier = createTokenVerifier(
    {
      profile: 'oidc',
      issuer: broker.issuer,
      audience: broker.resource,
      tokenTypes: ['at+jwt'],
      algorithms: [signer.algorithm],
      clockToleranceSeconds: config.auth.clockToleranceSeconds,
      jwks: config.auth.jwks,
      authorizationServers: [broker.issuer],
    },
    // A token older than the configured lifetime is refused whatever its `exp` says: what a
    // compromised task could mint with a far expiry dies with the access-token lifetime.
    { keys: createLocalJWKSet({ keys: [...signer.publicJwks] }), maxTokenAgeSeconds: broker.accessTokenSeconds },
  );
  return {
    issuer: broker.issuer,
    server,
    verifier,
    close: () => {
      client.destroy();
      signingClient?.destroy();
    },
  };
}

/**
 * The multi round-trip machinery of the configuration: the AEAD codec under `MCP_REQUEST_STATE_KEY`
 * and the ledger in the session table (per instance when the table's client is not known here).
 *
 * @throws ConfigError when a served tool asks for input or needs confirmation and no key is configured
 */
function inputRoundsOf(
  config: RuntimeConfig,
  catalog: ToolCatalog,
  prompts: readonly PromptDefinition[],
  client: ReturnType<typeof createSessionStoreClient> | undefined,
  observability: Observability,
): InputRounds {
  const { requestStateKeys, ttlSeconds, perPrincipal } = config.input;
  if (requestStateKeys.length === 0) {
    const asking = [...catalog.definitions(), ...prompts].filter((item) => ('confirm' in item && item.confirm) || (item.asks?.length ?? 0) > 0).map((item) => item.name);
    if (asking.length > 0) throw new ConfigError(`MCP_REQUEST_STATE_KEY is required: ${asking.join(', ')} ask for input or need confirmation (unset)`);
  }
  const ledgerOptions = { ttlSeconds, perPrincipal };
  return createInputRounds({
    ...(requestStateKeys.length > 0 ? { codec: createRequestStateCodec({ keys: requestStateKeys, ttlSeconds }) } : {}),
    ledger: client ? dynamoLedger(client, config.sessions.tableName, ledgerOptions) : memoryLedger(ledgerOptions),
    onRefused: (reason) => observability.logger.info('requestState refused', { reason }),
  });
}

/**
 * Builds and starts the server from a validated configuration: token verifier, session store, tool
 * catalog (refused at start-up if any tool asks for credentials or carries injection text),
 * output filters, observability, and the HTTP server.
 *
 * @throws when the catalog is unsafe or the port cannot be bound.
 */
export async function startApp(config: RuntimeConfig, overrides: AppOverrides = {}): Promise<App> {
  const observability = createObservability({
    serviceName: config.observability.serviceName,
    logLevel: config.observability.logLevel,
    metricsNamespace: config.observability.metricsNamespace,
    region: config.region,
    ...(config.observability.otlp ? { otlp: config.observability.otlp } : {}),
    traceSampling: config.observability.traceSampling,
    ...(overrides.logStream ? { logStream: overrides.logStream } : {}),
  });
  const telemetry = telemetryOf(observability);
  const catalog = new ToolCatalog(overrides.tools ?? DEFAULT_TOOLS, assertCatalogSafe);
  const capabilities = new CapabilityCatalog(overrides.capabilities ?? DEFAULT_CAPABILITIES, assertCatalogSafe);
  const sessions = overrides.sessions ?? createSessionStore(config);
  if (sessions instanceof DynamoSessionStore) sessions.instrumentClient((client) => observability.captureAwsClient(client));
  const idpVerifier: TokenVerifier = createTokenVerifier(config.auth, overrides.keys ? { keys: overrides.keys } : {});
  const broker = config.broker ? await startBroker(config, catalog.scopes, overrides, observability) : undefined;
  const verifier = broker ? verifierByIssuer(new Map([[broker.issuer, broker.verifier]]), idpVerifier) : idpVerifier;
  const limiter = new ConcurrencyLimiter();
  // The per-principal limit holds across the fleet: one counter per principal and minute in the
  // session table, leased in blocks (runtime/src/limits). Two attempts: a slow store fails fast.
  // A caller that brings its own store and no client options gets the limit per instance (the
  // table's endpoint is not known here).
  const rateClient =
    overrides.sessions && !overrides.storeClient ? undefined : createSessionStoreClient({ region: config.region, maxAttempts: 2, ...overrides.storeClient });
  const principalRate = rateClient
    ? new FleetRateLimiter({ client: rateClient, tableName: config.sessions.tableName, perMinute: config.limits.ratePerMinute })
    : undefined;
  const moderation = createModerationProvider(
    config.moderation.provider === 'bedrock'
      ? { provider: 'bedrock', guardrailId: config.moderation.guardrailId, guardrailVersion: config.moderation.guardrailVersion, region: config.region }
      : { provider: 'local' },
  );

  const observer: ToolCallObserver = {
    toolCall: (tool, outcome, latencyMs) => observability.countToolCall(tool, outcome, latencyMs),
    redactions: (counts) => {
      for (const [kind, count] of Object.entries(counts)) if (count > 0) observability.countRedactions(kind, count);
    },
    credentialInput: (tool) => observability.countCredentialInput(tool),
    failure: (correlationId, cause, tool) => {
      observability.errorLog(correlationId, cause, { where: 'tool', tool });
      observability.countError('tool');
    },
  };

  const outputFilter = outputFilterOf(moderation);
  const rounds = inputRoundsOf(config, catalog, (overrides.capabilities ?? DEFAULT_CAPABILITIES).prompts ?? [], rateClient, observability);
  const dispatch = createToolDispatch({
    ...SERVER_INFO,
    catalog,
    capabilities,
    invoke: {
      limiter,
      filter: outputFilter,
      findCredential: findCredentialValue,
      stateFor: (principal, stateScope): UserStateAccess => {
        const state = userStateAccess(sessions, principal, { scope: stateScope });
        return { read: () => mapStoreErrors(state.read), write: (value, version) => mapStoreErrors(() => state.write(value, version)) };
      },
      handlesFor: (principal): HandleAccess => ({
        mint: (kind, value, ttl) => mapStoreErrors(() => sessions.mintHandle(principal, kind, value, ttl)),
        resolve: (handle, kind) => mapStoreErrors(async () => (await sessions.resolveHandle(principal, handle, kind))?.value),
      }),
      observer,
    },
    rounds,
  });
  const inputFailure = (cause: unknown): void => {
    observability.errorLog('input', cause, { where: 'input' });
    observability.countError('session');
  };
  const pending = new PendingInputs(
    { deadlineMs: config.pendingInput.deadlineSeconds * 1000, perSession: config.pendingInput.perSession, perPrincipal: config.pendingInput.perPrincipal, pollMs: config.pendingInput.pollMs },
    sessions instanceof DynamoSessionStore ? sessions.pendingInputs : undefined,
    inputFailure,
  );
  const endpoint = createMcpEndpoint({
    dispatch,
    sessions,
    telemetry,
    maxBodyBytes: config.http.maxBodyBytes,
    input: { pending, screenSampling: samplingScreen(outputFilter, inputFailure) },
  });
  const http = createMcpHttpServer({
    config,
    verifier,
    endpoint,
    telemetry,
    scopes: [...new Set([...catalog.scopes, ...capabilities.scopes])].sort(),
    toolSlotAvailable: (principal, name, wanted) => {
      const tool = catalog.find(principal, name);
      return !tool || limiter.available(`${ownerKey(principal)}#${tool.name}`, tool.concurrencyPerPrincipal, wanted);
    },
    ...(principalRate ? { principalRate } : {}),
    readiness: [() => sessions.ping()],
    ...(broker ? { authz: broker.server } : {}),
    // A call that asks the client for input waits up to the input deadline in each of its rounds.
    longestToolDeadlineMs:
      INPUT_ROUNDS * (Math.max(0, ...(overrides.tools ?? DEFAULT_TOOLS).map((tool) => tool.deadlineMs)) + config.pendingInput.deadlineSeconds * 1000),
  });
  let running: RunningServer;
  try {
    running = await http.listen();
  } catch (error) {
    if (!overrides.sessions) sessions.close();
    broker?.close();
    rateClient?.destroy();
    await observability.close();
    throw error;
  }
  const host = config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host;
  return {
    port: running.port,
    url: `${config.http.tls ? 'https' : 'http'}://${host}:${running.port}${config.http.publicUrl.pathname}`,
    catalog,
    capabilities,
    sessions,
    observability,
    limiter,
    slots: running.slots,
    pending,
    async close() {
      pending.close();
      await running.close();
      await endpoint.close();
      if (!overrides.sessions) sessions.close();
      broker?.close();
      rateClient?.destroy();
      await observability.close();
    },
  };
}
