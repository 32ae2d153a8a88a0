import { z } from 'zod';
import { BrokerConfigError, loadBrokerConfig, type BrokerConfig } from '../authz/config.js';
import { decodeRequestStateKey, RequestStateKeyError } from '../input/codec.js';

/** Thrown when the environment does not describe a valid configuration. The message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const csv = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));

const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** `OTEL_EXPORTER_OTLP_PROTOCOL` values the exporter speaks; `grpc` is not one of them. */
const OTLP_PROTOCOLS = ['http/protobuf', 'http/json'] as const;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '::1', 'localhost']);

/** Variables whose value an error message never repeats. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['MCP_REQUEST_STATE_KEY']);

/**
 * Environment variables the runtime reads, with their defaults. Each is documented in the README's
 * configuration table; names are the contract with the CDK task definition.
 */
const environmentSchema = z.object({
  MCP_HOST: z.string().min(1).default('0.0.0.0'),
  MCP_PORT: integer(0, 65535).default(8443),
  MCP_PUBLIC_URL: z.url({ protocol: /^https?$/ }),
  MCP_ALLOWED_HOSTS: csv.optional(),
  MCP_ALLOWED_ORIGINS: csv.default([]),
  MCP_TLS_CERT_FILE: z.string().min(1).optional(),
  MCP_TLS_KEY_FILE: z.string().min(1).optional(),
  MCP_MAX_BODY_BYTES: integer(1024, 16 * 1024 * 1024).default(1024 * 1024),
  MCP_MAX_HEADER_BYTES: integer(8 * 1024, 128 * 1024).default(80 * 1024),
  MCP_KEEP_ALIVE_SECONDS: integer(61, 3600).default(75),
  MCP_SHUTDOWN_GRACE_SECONDS: integer(1, 120).default(25),
  MCP_BODY_TIMEOUT_SECONDS: integer(1, 120).default(5),
  MCP_BODY_MIN_BYTES_PER_SECOND: integer(1024, 100 * 1024 * 1024).default(32 * 1024),
  MCP_SEND_TIMEOUT_SECONDS: integer(1, 600).default(30),

  MCP_AUTH_PROFILE: z.enum(['oidc', 'cognito']).default('oidc'),
  MCP_JWT_ALGORITHMS: csv.pipe(z.array(z.enum(ALGORITHMS)).min(1)).default(['RS256']),
  MCP_CLOCK_TOLERANCE_SECONDS: integer(0, 60).default(30),
  MCP_JWKS_TIMEOUT_MS: integer(100, 10_000).default(3000),
  MCP_JWKS_COOLDOWN_SECONDS: integer(1, 3600).default(30),
  MCP_JWKS_MAX_AGE_SECONDS: integer(60, 86_400).default(600),
  MCP_OIDC_ISSUER: z.url().optional(),
  MCP_OIDC_JWKS_URL: z.url().optional(),
  MCP_OIDC_AUDIENCE: z.string().min(1).optional(),
  MCP_OIDC_TOKEN_TYPES: csv.default(['at+jwt']),
  MCP_AUTHORIZATION_SERVERS: csv.optional(),
  MCP_COGNITO_USER_POOL_ID: z
    .string()
    .regex(/^[a-z]{2}(-[a-z]+)+-\d_[A-Za-z0-9]+$/)
    .optional(),
  MCP_COGNITO_CLIENT_IDS: csv.optional(),
  MCP_COGNITO_DOMAIN: z.url().optional(),
  MCP_COGNITO_RESOURCE_SERVER_ID: z.string().min(1).optional(),
  AWS_REGION: z.string().min(1).default('us-east-1'),

  MCP_SESSION_TABLE: z.string().min(3).max(255).default('mcp-sessions'),
  MCP_SESSION_IDLE_SECONDS: integer(60, 86_400).default(1800),
  MCP_SESSION_MAX_SECONDS: integer(300, 7 * 86_400).default(12 * 3600),
  MCP_SESSIONS_PER_OWNER: integer(1, 1000).default(20),
  MCP_SESSION_CACHE_SECONDS: integer(0, 60).default(5),

  MCP_MAX_INFLIGHT: integer(1, 100_000).default(256),
  MCP_MAX_INFLIGHT_PER_PRINCIPAL: integer(1, 100_000).default(32),
  MCP_MAX_BATCH: integer(1, 100).default(10),
  MCP_INPUT_DEADLINE_SECONDS: integer(1, 3600).default(120),
  MCP_INPUT_PENDING_PER_SESSION: integer(1, 32).default(4),
  MCP_INPUT_PENDING_PER_PRINCIPAL: integer(1, 1000).default(16),
  MCP_INPUT_POLL_MS: integer(20, 5000).default(250),
  MCP_HEALTH_MAX_LOOP_DELAY_MS: integer(50, 60_000).default(1000),
  MCP_HEALTH_SATURATED_SECONDS: integer(0, 3600).default(10),
  MCP_RATE_LIMIT_PER_MINUTE: integer(1, 1_000_000).default(600),
  MCP_REQUEST_STATE_KEY: z.string().min(1).max(1024).optional(),
  MCP_REQUEST_STATE_TTL_SECONDS: integer(30, 3600).default(300),
  MCP_REQUEST_STATE_PER_PRINCIPAL: integer(1, 10_000).default(60),
  MCP_MODERATION: z.enum(['local', 'bedrock']).default('local'),
  MCP_BEDROCK_GUARDRAIL_ID: z.string().min(1).optional(),
  MCP_BEDROCK_GUARDRAIL_VERSION: z.string().min(1).optional(),

  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  POWERTOOLS_SERVICE_NAME: z.string().min(1).default('enterprise-mcp'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().min(1).default('EnterpriseMcp'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: z.enum(OTLP_PROTOCOLS).optional(),
  MCP_TRACE_SAMPLE_PER_SECOND: integer(0, 100_000).default(1),
  MCP_TRACE_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0.05),
});

export type Environment = z.input<typeof environmentSchema>;

/** Token verification settings for one of the two profiles. */
export type AuthConfig =
  | {
      readonly profile: 'oidc';
      readonly issuer: string;
      /** JWKS location; discovered from the issuer's metadata when absent. */
      readonly jwksUrl?: string;
      /** `aud` must contain this value (RFC 8707: the server's resource URL). */
      readonly audience: string;
      /** Accepted `typ` header values (empty: any). */
      readonly tokenTypes: readonly string[];
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
      readonly jwks: JwksConfig;
      /** Authorization servers advertised in the protected-resource metadata. */
      readonly authorizationServers: readonly string[];
    }
  | {
      readonly profile: 'cognito';
      readonly issuer: string;
      readonly jwksUrl: string;
      readonly userPoolId: string;
      readonly clientIds: readonly string[];
      /** Identifier of the Cognito resource server: scopes arrive as `<id>/<scope>`. */
      readonly resourceServerId: string;
      /** The managed login domain (`https://<prefix>.auth.<region>.amazoncognito.com`). */
      readonly domain: string;
      readonly algorithms: readonly string[];
      readonly clockToleranceSeconds: number;
      readonly jwks: JwksConfig;
      readonly authorizationServers: readonly string[];
    };

export interface JwksConfig {
  readonly timeoutMs: number;
  readonly cooldownSeconds: number;
  readonly maxAgeSeconds: number;
}

/** The validated runtime configuration. */
export interface RuntimeConfig {
  readonly http: {
    readonly host: string;
    readonly port: number;
    /** The MCP endpoint's public URL; also the OAuth resource identifier. */
    readonly publicUrl: URL;
    readonly allowedHosts: readonly string[];
    readonly allowedOrigins: readonly string[];
    readonly tls?: { readonly certFile: string; readonly keyFile: string };
    readonly maxBodyBytes: number;
    readonly maxHeaderBytes: number;
    readonly keepAliveSeconds: number;
    readonly shutdownGraceSeconds: number;
    /** A body must arrive within this many seconds plus its size at {@link bodyMinBytesPerSecond}. */
    readonly bodyTimeoutSeconds: number;
    readonly bodyMinBytesPerSecond: number;
    /** A complete answer must be taken by the client within this many seconds, else its connection is closed. */
    readonly sendTimeoutSeconds: number;
  };
  readonly auth: AuthConfig;
  /** The authorization server in front of the identity provider, when `MCP_BROKER` is on. */
  readonly broker?: BrokerConfig;
  readonly region: string;
  readonly sessions: {
    readonly tableName: string;
    readonly idleSeconds: number;
    readonly maxSeconds: number;
    readonly perOwner: number;
    readonly cacheSeconds: number;
  };
  readonly limits: {
    readonly maxInFlight: number;
    /** Requests one principal may have in flight at once (a share of `maxInFlight`). */
    readonly maxInFlightPerPrincipal: number;
    readonly ratePerMinute: number;
    /** Most messages in one JSON-RPC batch, where the negotiated revision allows batches at all. */
    readonly maxBatch: number;
  };
  /** Server-to-client requests of 2025-era calls (elicitation, sampling, roots) waiting for the client. */
  readonly pendingInput: {
    /** How long one request waits for the client's answer. */
    readonly deadlineSeconds: number;
    /** Most requests pending at once per session, and per principal over all its sessions. */
    readonly perSession: number;
    readonly perPrincipal: number;
    /** First interval at which the waiting instance reads the session table for an answer given elsewhere. */
    readonly pollMs: number;
  };
  readonly health: {
    /** `/healthz` fails while the event loop was blocked longer than this in the last window. */
    readonly maxLoopDelayMs: number;
    /** `/healthz` fails once every in-flight slot has been taken for this long without a pause. */
    readonly saturatedSeconds: number;
  };
  /** Multi round-trip requests (2026-07-28 `input_required`). */
  readonly input: {
    /** AEAD keys for `requestState`, newest first (the first seals, all open); none when unset. */
    readonly requestStateKeys: readonly Uint8Array[];
    /** Seconds a `requestState` lives. */
    readonly ttlSeconds: number;
    /** States one principal may have minted per lifetime window: the bound on its pending rounds. */
    readonly perPrincipal: number;
  };
  readonly moderation:
    | { readonly provider: 'local' }
    | { readonly provider: 'bedrock'; readonly guardrailId: string; readonly guardrailVersion: string };
  readonly observability: {
    readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
    readonly serviceName: string;
    readonly metricsNamespace: string;
    /** Where spans go; tracing is off when no OTLP endpoint is set. */
    readonly otlp?: { readonly url: string; readonly protocol: 'http/protobuf' | 'http/json' };
    /** Which requests are recorded: the first `fixedTargetPerSecond` each second, then `rate` of the rest. */
    readonly traceSampling: { readonly fixedTargetPerSecond: number; readonly rate: number };
  };
}

/**
 * The OTLP traces endpoint, as the OpenTelemetry specification reads it: the signal-specific
 * variable as given, else the general one with `/v1/traces` appended; the protocol likewise
 * (`http/protobuf` by default).
 */
function otlpExport(e: z.output<typeof environmentSchema>): { otlp?: { url: string; protocol: 'http/protobuf' | 'http/json' } } {
  const specific = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const general = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (specific === undefined && general === undefined) return {};
  const url = specific ?? `${general!.replace(/\/+$/, '')}/v1/traces`;
  return { otlp: { url, protocol: e.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? e.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf' } };
}

function fail(variable: string, value: unknown, rule: string): never {
  const shown = value === undefined ? 'unset' : `"${String(value)}"`;
  throw new ConfigError(`${variable} ${rule} (got ${shown})`);
}

/**
 * Reads and validates the runtime configuration from environment variables.
 *
 * @param env - the variables to read, `process.env` by default.
 * @throws ConfigError naming the first bad variable, its value and the rule it breaks.
 * @example
 * const config = loadConfig({ MCP_PUBLIC_URL: 'https://mcp.example.com/mcp', MCP_OIDC_ISSUER: 'https://id.example.com' });
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const known = Object.fromEntries(
    Object.keys(environmentSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = environmentSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    if (SECRET_VARIABLES.has(variable)) throw new ConfigError(`${variable} is invalid: ${issue.message.toLowerCase()} (value not shown: it is a secret)`);
    fail(variable, env[variable], `is invalid: ${issue.message.toLowerCase()}`);
  }
  const e = parsed.data;

  const publicUrl = new URL(e.MCP_PUBLIC_URL);
  publicUrl.hash = '';
  const tls =
    e.MCP_TLS_CERT_FILE && e.MCP_TLS_KEY_FILE ? { certFile: e.MCP_TLS_CERT_FILE, keyFile: e.MCP_TLS_KEY_FILE } : undefined;
  if (Boolean(e.MCP_TLS_CERT_FILE) !== Boolean(e.MCP_TLS_KEY_FILE)) {
    fail('MCP_TLS_KEY_FILE', e.MCP_TLS_KEY_FILE, 'must be set together with MCP_TLS_CERT_FILE');
  }
  if (!tls && !LOOPBACK_HOSTS.has(e.MCP_HOST)) {
    fail('MCP_HOST', e.MCP_HOST, 'must be a loopback address unless MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE are set');
  }
  if (publicUrl.protocol !== 'https:' && !LOOPBACK_HOSTS.has(publicUrl.hostname.replace(/^\[|\]$/g, ''))) {
    fail('MCP_PUBLIC_URL', e.MCP_PUBLIC_URL, 'must use https unless it names a loopback host');
  }
  if (e.MCP_SESSION_MAX_SECONDS < e.MCP_SESSION_IDLE_SECONDS) {
    fail('MCP_SESSION_MAX_SECONDS', e.MCP_SESSION_MAX_SECONDS, 'must not be shorter than MCP_SESSION_IDLE_SECONDS');
  }

  let broker: BrokerConfig | undefined;
  try {
    broker = loadBrokerConfig(env, publicUrl);
  } catch (error) {
    if (error instanceof BrokerConfigError) throw new ConfigError(error.message);
    throw error;
  }
  // With the broker on, the protected-resource metadata names this server's own authorization server.
  const defaultServers = (fallback: string): string[] => e.MCP_AUTHORIZATION_SERVERS ?? [broker ? broker.issuer : fallback];

  const jwks: JwksConfig = {
    timeoutMs: e.MCP_JWKS_TIMEOUT_MS,
    cooldownSeconds: e.MCP_JWKS_COOLDOWN_SECONDS,
    maxAgeSeconds: e.MCP_JWKS_MAX_AGE_SECONDS,
  };
  let auth: AuthConfig;
  if (e.MCP_AUTH_PROFILE === 'cognito') {
    const poolId = e.MCP_COGNITO_USER_POOL_ID ?? fail('MCP_COGNITO_USER_POOL_ID', undefined, 'is required for the cognito profile');
    const clientIds = e.MCP_COGNITO_CLIENT_IDS ?? [];
    if (clientIds.length === 0) fail('MCP_COGNITO_CLIENT_IDS', env.MCP_COGNITO_CLIENT_IDS, 'must list at least one app client id');
    const domain = e.MCP_COGNITO_DOMAIN ?? fail('MCP_COGNITO_DOMAIN', undefined, 'is required for the cognito profile');
    const poolRegion = poolId.split('_')[0]!;
    const issuer = `https://cognito-idp.${poolRegion}.amazonaws.com/${poolId}`;
    auth = {
      profile: 'cognito',
      issuer,
      jwksUrl: `${issuer}/.well-known/jwks.json`,
      userPoolId: poolId,
      clientIds,
      resourceServerId: e.MCP_COGNITO_RESOURCE_SERVER_ID ?? publicUrl.href,
      domain: domain.replace(/\/+$/, ''),
      algorithms: e.MCP_JWT_ALGORITHMS,
      clockToleranceSeconds: e.MCP_CLOCK_TOLERANCE_SECONDS,
      jwks,
      // Cognito's discovery lacks code_challenge_methods_supported: the server publishes its own
      // RFC 8414 document for the pool and points clients at itself.
      authorizationServers: defaultServers(publicUrl.origin),
    };
  } else {
    const issuer = e.MCP_OIDC_ISSUER ?? fail('MCP_OIDC_ISSUER', undefined, 'is required for the oidc profile');
    auth = {
      profile: 'oidc',
      issuer,
      ...(e.MCP_OIDC_JWKS_URL ? { jwksUrl: e.MCP_OIDC_JWKS_URL } : {}),
      audience: e.MCP_OIDC_AUDIENCE ?? publicUrl.href,
      tokenTypes: e.MCP_OIDC_TOKEN_TYPES,
      algorithms: e.MCP_JWT_ALGORITHMS,
      clockToleranceSeconds: e.MCP_CLOCK_TOLERANCE_SECONDS,
      jwks,
      authorizationServers: defaultServers(issuer),
    };
  }

  let requestStateKeys: Uint8Array[] = [];
  try {
    requestStateKeys = (e.MCP_REQUEST_STATE_KEY ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key.length > 0)
      .map((key) => decodeRequestStateKey(key));
  } catch (error) {
    // The value is a secret: the message names the variable and the rule, never the value.
    if (error instanceof RequestStateKeyError) throw new ConfigError(`${error.message} (a comma-separated list, newest first)`);
    throw error;
  }

  let moderation: RuntimeConfig['moderation'] = { provider: 'local' };
  if (e.MCP_MODERATION === 'bedrock') {
    moderation = {
      provider: 'bedrock',
      guardrailId: e.MCP_BEDROCK_GUARDRAIL_ID ?? fail('MCP_BEDROCK_GUARDRAIL_ID', undefined, 'is required when MCP_MODERATION is bedrock'),
      guardrailVersion:
        e.MCP_BEDROCK_GUARDRAIL_VERSION ?? fail('MCP_BEDROCK_GUARDRAIL_VERSION', undefined, 'is required when MCP_MODERATION is bedrock'),
    };
  }

  return {
    http: {
      host: e.MCP_HOST,
      port: e.MCP_PORT,
      publicUrl,
      allowedHosts: e.MCP_ALLOWED_HOSTS ?? [publicUrl.host],
      allowedOrigins: e.MCP_ALLOWED_ORIGINS,
      ...(tls ? { tls } : {}),
      maxBodyBytes: e.MCP_MAX_BODY_BYTES,
      maxHeaderBytes: e.MCP_MAX_HEADER_BYTES,
      keepAliveSeconds: e.MCP_KEEP_ALIVE_SECONDS,
      shutdownGraceSeconds: e.MCP_SHUTDOWN_GRACE_SECONDS,
      bodyTimeoutSeconds: e.MCP_BODY_TIMEOUT_SECONDS,
      bodyMinBytesPerSecond: e.MCP_BODY_MIN_BYTES_PER_SECOND,
      sendTimeoutSeconds: e.MCP_SEND_TIMEOUT_SECONDS,
    },
    auth,
    ...(broker ? { broker } : {}),
    region: e.AWS_REGION,
    sessions: {
      tableName: e.MCP_SESSION_TABLE,
      idleSeconds: e.MCP_SESSION_IDLE_SECONDS,
      maxSeconds: e.MCP_SESSION_MAX_SECONDS,
      perOwner: e.MCP_SESSIONS_PER_OWNER,
      cacheSeconds: e.MCP_SESSION_CACHE_SECONDS,
    },
    limits: {
      maxInFlight: e.MCP_MAX_INFLIGHT,
      maxInFlightPerPrincipal: Math.min(e.MCP_MAX_INFLIGHT_PER_PRINCIPAL, e.MCP_MAX_INFLIGHT),
      ratePerMinute: e.MCP_RATE_LIMIT_PER_MINUTE,
      maxBatch: e.MCP_MAX_BATCH,
    },
    pendingInput: {
      deadlineSeconds: e.MCP_INPUT_DEADLINE_SECONDS,
      perSession: e.MCP_INPUT_PENDING_PER_SESSION,
      perPrincipal: Math.max(e.MCP_INPUT_PENDING_PER_PRINCIPAL, e.MCP_INPUT_PENDING_PER_SESSION),
      pollMs: e.MCP_INPUT_POLL_MS,
    },
    health: { maxLoopDelayMs: e.MCP_HEALTH_MAX_LOOP_DELAY_MS, saturatedSeconds: e.MCP_HEALTH_SATURATED_SECONDS },
    input: { requestStateKeys, ttlSeconds: e.MCP_REQUEST_STATE_TTL_SECONDS, perPrincipal: e.MCP_REQUEST_STATE_PER_PRINCIPAL },
    moderation,
    observability: {
      logLevel: e.LOG_LEVEL,
      serviceName: e.POWERTOOLS_SERVICE_NAME,
      metricsNamespace: e.POWERTOOLS_METRICS_NAMESPACE,
      ...otlpExport(e),
      traceSampling: { fixedTargetPerSecond: e.MCP_TRACE_SAMPLE_PER_SECOND, rate: e.MCP_TRACE_SAMPLE_RATE },
    },
  };
}
