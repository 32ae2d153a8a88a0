import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { StoreFailureReason } from './errors.js';

/** How the session store reaches DynamoDB. Every field is optional. */
export interface SessionStoreClientOptions {
  /**
   * AWS region of the table replica to use.
   * @default - the SDK's own resolution (`AWS_REGION`, then the shared config)
   */
  readonly region?: string;
  /**
   * Explicit endpoint URL. Leave unset in normal use: the SDK reads `AWS_ENDPOINT_URL_DYNAMODB`, then
   * `AWS_ENDPOINT_URL`, which is how dynalite and LocalStack are reached with no code change.
   * @default - the SDK's endpoint resolution (environment variables, then the regional endpoint)
   */
  readonly endpoint?: string;
  /**
   * Credentials or a credential provider.
   * @default - the SDK's default provider chain (the ECS task role in AWS)
   */
  readonly credentials?: DynamoDBClientConfig['credentials'];
  /**
   * Attempts per call, the first included; retries back off exponentially with full jitter.
   * @default 3
   */
  readonly maxAttempts?: number;
  /**
   * SDK retry mode. `adaptive` adds a client-side rate limiter that can hold calls back under
   * throttling; the per-operation deadline of the store bounds that wait either way.
   * @default 'standard'
   */
  readonly retryMode?: 'standard' | 'adaptive';
  /**
   * Milliseconds a TCP/TLS connection may take to establish before the attempt fails.
   * @default 1000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Milliseconds one attempt (request sent to response received) may take before it fails.
   * @default 2000
   */
  readonly requestTimeoutMs?: number;
}

/** Defaults of {@link SessionStoreClientOptions}. */
export const CLIENT_DEFAULTS = {
  maxAttempts: 3,
  retryMode: 'standard',
  connectTimeoutMs: 1000,
  requestTimeoutMs: 2000,
} as const;

/**
 * Builds the DynamoDB client the session store uses: bounded attempts with jittered backoff, short
 * connection and request timeouts that fail the attempt (not just warn). No endpoint is set unless
 * one is given, so `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL` apply as the SDK defines them.
 *
 * @throws RangeError when a count or timeout is not a positive integer.
 * @example
 * const client = createSessionStoreClient({ region: 'eu-west-1' });
 */
export function createSessionStoreClient(options: SessionStoreClientOptions = {}): DynamoDBClient {
  const maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? CLIENT_DEFAULTS.maxAttempts);
  const connectionTimeout = positiveInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? CLIENT_DEFAULTS.connectTimeoutMs,
  );
  const requestTimeout = positiveInteger(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? CLIENT_DEFAULTS.requestTimeoutMs,
  );
  const config: DynamoDBClientConfig = {
    maxAttempts,
    retryMode: options.retryMode ?? CLIENT_DEFAULTS.retryMode,
    requestHandler: { connectionTimeout, requestTimeout, throwOnRequestTimeout: true },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return leaner(new DynamoDBClient(config));
}

/**
 * Two changes to the client that cut its CPU per call and change nothing it sends or checks:
 * - The SigV4 signer is built once, on the first call, by the SDK's own factory, and kept. Left
 *   alone, the SDK builds a new `SignatureV4` (from a copy of the whole client configuration) for
 *   every request. Region and signing name are fixed for this client, and the kept signer still
 *   asks the client's credential provider on every request, so refreshed credentials are used.
 * - The logger middleware goes: it only hands each call's input and output (filtered of sensitive
 *   fields, which is the costly part) to the client's logger, and this client's logger is the SDK's
 *   no-op logger. Retries, timeouts, signing, endpoint resolution and trace propagation are untouched.
 */
function leaner(client: DynamoDBClient): DynamoDBClient {
  const build = client.config.signer;
  let kept: ReturnType<typeof build> | undefined;
  client.config.signer = (authScheme) => {
    kept ??= build(authScheme).catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a positive integer (got ${value})`);
  }
  return value;
}

const THROTTLING_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
]);
const TIMEOUT_ERRORS = new Set(['TimeoutError', 'AbortError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

/** Sorts an SDK or network error into a coarse reason for metrics and the `Retry-After` hint. */
export function classifyStoreError(error: unknown): StoreFailureReason {
  if (typeof error !== 'object' || error === null) return 'failed';
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (typeof name === 'string' && THROTTLING_ERRORS.has(name)) return 'throttled';
  // The SDK names some socket failures `TimeoutError`; the code tells what really happened.
  if (code === 'ETIMEDOUT') return 'timeout';
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return 'unreachable';
  if (typeof name === 'string' && TIMEOUT_ERRORS.has(name)) return 'timeout';
  return 'failed';
}

/** Whether `error` is DynamoDB's answer to a condition expression that did not hold. */
export function isConditionalCheckFailed(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: unknown }).name === 'ConditionalCheckFailedException'
  );
}
