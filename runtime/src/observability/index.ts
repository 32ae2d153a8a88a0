/**
 * Logs, traces and metrics of the MCP server, with one correlation id: the X-Ray trace id.
 *
 * - Logs: one JSON line per record on one stream (stdout by default), with a scrubbing step that
 *   replaces anything shaped like a bearer token. Diagnostic and error records go through
 *   Powertools Logger; the access record (a fixed set of numbers and labels, one per request) is
 *   serialised directly with the same scrubbing replacer.
 * - Traces: OpenTelemetry spans with X-Ray-compatible ids, exported over OTLP/HTTP (JSON or
 *   protobuf) to `otlp.url`, normally the collector beside the task, which writes them to X-Ray
 *   (see `tracing.ts`).
 * - Metrics: Powertools Metrics EMF records, summed in memory and published on a timer.
 *
 * Nothing here keeps per-request state after `trace.end()`: the only long-lived structures are
 * bounded by fixed vocabularies (see `labels.ts`).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AuthFailureReason, ErrorKind, RateLimitScope, RequestOutcome, SessionEvent, ToolOutcome } from './labels.js';
import { accessLine, type AccessRecord, DiagnosticFormatter, type IdentifierHash, identifierHasher, LineLogger, toErrorFields } from './logging.js';
import { MetricsRecorder } from './metrics.js';
import type { OtlpExport } from './otel-sdk.js';
import { DEFAULT_TRACE_SAMPLING, type IncomingTraceHeaders, type TraceSampling } from './trace-context.js';
import { type AwsSdkClient, type RequestTrace, Tracing } from './tracing.js';

export type { AccessRecord, IdentifierHash } from './logging.js';
export { identifierHasher, INVALID } from './logging.js';
export type { AuthFailureReason, ErrorKind, ProtocolEra, RateLimitScope, RequestOutcome, SessionEvent, ToolOutcome } from './labels.js';
export { AUTH_FAILURE_REASONS, ERROR_KINDS, OTHER, RATE_LIMIT_SCOPES, REQUEST_OUTCOMES, TOOL_OUTCOMES } from './labels.js';
export { REDACTED, scrubSecrets } from './scrub.js';
export type { IncomingTraceHeaders, MetaTraceContext, TraceId, TraceSampling } from './trace-context.js';
export { DEFAULT_TRACE_SAMPLING, toW3cTraceId } from './trace-context.js';
export type { OtlpExport, OtlpProtocol } from './otel-sdk.js';
export type { AwsSdkClient, RequestTrace, TraceAnnotationKey } from './tracing.js';

/** Log levels accepted by `createObservability`. */
export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';

/** Settings of {@link createObservability}. */
export interface ObservabilityOptions {
  /** `service` field of log records, `service` metric dimension, and the traces' `service.name` (the X-Ray segment name). */
  readonly serviceName: string;
  /**
   * Least severe level of diagnostic records. Access records are written whatever the level:
   * they are the audit trail, not diagnostics.
   */
  readonly logLevel: LogLevel;
  /** CloudWatch namespace of the EMF metrics. */
  readonly metricsNamespace: string;
  /** AWS region of this task: a field of every log record, a metric dimension, a trace annotation. */
  readonly region: string;
  /**
   * The OTLP/HTTP traces endpoint and protocol (from `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_ENDPOINT`, and `OTEL_EXPORTER_OTLP_PROTOCOL`).
   * @default - tracing off: requests still get a trace id, nothing is sent, the OpenTelemetry SDK is not loaded
   */
  readonly otlp?: OtlpExport;
  /**
   * Longest wait before finished spans are exported, in milliseconds (10 – 60 000).
   * @default 1000
   */
  readonly traceExportDelayMs?: number;
  /**
   * How often buffered metrics are published, in milliseconds (100 – 300 000).
   * @default 10000
   */
  readonly metricsFlushIntervalMs?: number;
  /**
   * Where log and EMF lines go.
   * @default process.stdout
   */
  readonly logStream?: NodeJS.WritableStream;
  /**
   * Which requests are recorded. The caller's sampling flags are never read: this rule alone decides.
   * @default DEFAULT_TRACE_SAMPLING - one request per second and 5 % of the rest, as X-Ray's default rule
   */
  readonly traceSampling?: TraceSampling;
  /**
   * Decides whether a value thrown inside `trace.step` is the client's fault (its span keeps an
   * unset status) rather than the server's (status ERROR, an X-Ray `fault`).
   * @default - every thrown value is a fault
   */
  readonly isClientError?: (cause: unknown) => boolean;
  /**
   * Key for `hashIdentifier` (HMAC-SHA-256). Set it, identical in every region, when subjects can
   * be guessed (e-mail addresses as `sub`).
   * @default - unkeyed SHA-256 with a fixed prefix
   */
  readonly identifierHashKey?: string;
}

/** Logs, traces and metrics of one server process. Create one with {@link createObservability}. */
export interface Observability {
  /** The diagnostic logger (Powertools Logger, scrubbed, JSON lines on the configured stream). */
  readonly logger: Logger;

  /**
   * Starts the trace of one request. Continues an `X-Amzn-Trace-Id` that names a parent, else
   * a W3C `traceparent` (its trace id converted to X-Ray form, its span id kept as the parent),
   * else, once `trace.continueFrom(meta)` is called, the `_meta.traceparent` of a 2026-07-28
   * request, else keeps a bare `X-Amzn-Trace-Id` root (the one the ALB adds), else mints a new id.
   * Malformed headers are ignored. The sampling rule alone decides whether the request is
   * recorded: a caller's `Sampled=1` or `traceparent` flags do not. Never throws.
   *
   * @param headers - the request's trace headers, as received
   * @param name - name of the request span
   * @example
   * const trace = obs.startRequest({ xAmznTraceId: req.headers['x-amzn-trace-id'] as string | undefined }, 'mcp');
   * try { await trace.step('authenticate', () => verifier.verify(token)); } finally { trace.setHttp(res.statusCode); trace.end(); }
   */
  startRequest(headers: IncomingTraceHeaders, name: string): RequestTrace;

  /** Same as the exported {@link traceHeaderValue}. */
  traceHeaderValue(trace: RequestTrace): string;

  /**
   * Records the calls of an AWS SDK v3 client made inside `trace.step(...)` as CLIENT spans, and
   * sends `traceparent` and `X-Amzn-Trace-Id` with them. Returns the same client. No-op when
   * tracing is off. The first call turns on async context tracking (an AsyncLocalStorage, which
   * costs every promise of the process a little), so nested steps nest from then on; without it
   * they are all children of the request's span.
   */
  captureAwsClient<C extends AwsSdkClient>(client: C): C;

  /**
   * Writes the one access record of a request (see {@link AccessRecord} for the fields; `time` and
   * `region` are added). Written whatever the log level. Never throws.
   */
  accessLog(record: AccessRecord): void;

  /**
   * Writes a private ERROR record: the correlation id, where it happened, the tool, and the cause
   * with message and stack. Only for the private log; what the client sees is decided elsewhere.
   * Never throws.
   *
   * @param correlationId - the request's trace id
   * @param cause - anything thrown
   * @param context - `where`: a fixed name of the failing step (`tools/call`, `session.load`); `tool`: the tool name
   */
  errorLog(correlationId: string, cause: unknown, context: { where: string; tool?: string }): void;

  /**
   * A pseudonym for a subject or a session id: 16 hex digits of SHA-256 (or HMAC-SHA-256 with
   * `identifierHashKey`). Stable across tasks and regions so that one user can be followed.
   *
   * @param value - `ownerKey(principal)` or a session id
   * @throws TypeError when `value` is empty or looks like a token: tokens are never hashed into logs
   */
  hashIdentifier(value: string): IdentifierHash;

  /** Counts one request (`Requests`) and samples its latency (`Latency`, milliseconds). */
  countRequest(outcome: RequestOutcome, latencyMs: number): void;
  /** Counts one failure of the given kind (`Errors`, dimension `kind`). */
  countError(kind: ErrorKind): void;
  /** Counts one tool call (`ToolCalls`, dimensions `tool`, `outcome`) and samples its latency (`ToolLatency`, dimension `tool`). */
  countToolCall(tool: string, outcome: ToolOutcome, latencyMs: number): void;
  /** Counts one refused token (`AuthFailures`, dimension `reason`). */
  countAuthFailure(reason: AuthFailureReason): void;
  /** Counts `n` redactions of one kind in a tool result (`Redactions`, dimension `kind`). */
  countRedactions(kind: string, n: number): void;
  /** Counts one request refused by a limit (`RateLimited`, dimension `scope`). */
  countRateLimited(scope: RateLimitScope): void;
  /** Counts a legacy session opened (`SessionsOpened`) or ended (`SessionsEnded`). */
  countSession(event: SessionEvent): void;
  /** Counts a call refused because an argument looked like a credential (`CredentialInputsRefused`, dimension `tool`). */
  countCredentialInput(tool: string): void;

  /** Publishes the metrics buffered so far. */
  flush(): void;
  /** Exports the spans ended so far; resolves when that export has finished or failed. */
  flushTraces(): Promise<void>;
  /**
   * Stops the flush timer, publishes the last metrics, and exports the buffered spans (waiting
   * five seconds at most). Afterwards nothing of this instance is running; counts are ignored,
   * log records are still written. Idempotent.
   */
  close(): Promise<void>;
}

/**
 * The value of an `X-Amzn-Trace-Id` response header: `Root=<trace id>;Sampled=<1|0>`, so a
 * client can quote the id and knows whether the request was recorded.
 */
export function traceHeaderValue(trace: RequestTrace): string {
  return `Root=${trace.traceId};Sampled=${trace.sampled ? '1' : '0'}`;
}

function checkOtlpExport(otlp: OtlpExport): void {
  let url: URL | undefined;
  try {
    url = new URL(otlp.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new RangeError(`otlp.url must be an http or https URL (got ${JSON.stringify(otlp.url)})`);
  if (otlp.protocol !== 'http/json' && otlp.protocol !== 'http/protobuf') {
    throw new RangeError(`otlp.protocol must be http/json or http/protobuf (got ${JSON.stringify(otlp.protocol)})`);
  }
}

const LOG_LEVELS: ReadonlySet<string> = new Set<LogLevel>(['DEBUG', 'INFO', 'WARN', 'ERROR']);
const DEFAULT_FLUSH_INTERVAL_MS = 10_000;

function requireText(name: string, value: unknown, maxLength: number): void {
  if (typeof value !== 'string' || value.trim().length === 0 || value.length > maxLength) {
    throw new RangeError(`${name} must be a non-empty string of at most ${maxLength} characters (got ${JSON.stringify(value)})`);
  }
}

class ServerObservability implements Observability {
  readonly logger: Logger;
  readonly #writeLine: (line: string) => void;
  readonly #metrics: MetricsRecorder;
  readonly #tracing: Tracing;
  readonly #hash: (value: string) => IdentifierHash;
  readonly #region: string;
  readonly #timer: NodeJS.Timeout;
  #closing: Promise<void> | undefined;

  constructor(options: ObservabilityOptions) {
    const stream = options.logStream ?? process.stdout;
    const writeLine = (line: string): void => {
      try {
        stream.write(`${line}\n`);
      } catch {
        // a failing log stream must not fail the request
      }
    };
    this.#region = options.region;
    this.logger = new LineLogger(writeLine, {
      serviceName: options.serviceName,
      logLevel: options.logLevel,
      logFormatter: new DiagnosticFormatter(options.region),
    });
    this.#writeLine = writeLine;
    this.#metrics = new MetricsRecorder({
      namespace: options.metricsNamespace,
      serviceName: options.serviceName,
      region: options.region,
      write: writeLine,
      logger: this.logger,
    });
    const otlp = options.otlp;
    this.#tracing = new Tracing({
      serviceName: options.serviceName,
      region: options.region,
      ...(otlp !== undefined ? { export: otlp } : {}),
      ...(options.traceExportDelayMs !== undefined ? { exportDelayMs: options.traceExportDelayMs } : {}),
      sampling: options.traceSampling ?? DEFAULT_TRACE_SAMPLING,
      isClientError: options.isClientError ?? (() => false),
      onSendFailure: (error) =>
        this.logger.warn('spans cannot be exported to the OTLP endpoint; further failures are not logged', { endpoint: otlp?.url, error: error.message }),
    });
    this.#hash = identifierHasher(options.identifierHashKey);
    this.#timer = setInterval(() => this.flush(), options.metricsFlushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
    this.#timer.unref();
  }

  startRequest(headers: IncomingTraceHeaders, name: string): RequestTrace {
    return this.#tracing.start(headers, name);
  }

  traceHeaderValue(trace: RequestTrace): string {
    return traceHeaderValue(trace);
  }

  captureAwsClient<C extends AwsSdkClient>(client: C): C {
    return this.#tracing.captureAwsClient(client);
  }

  accessLog(record: AccessRecord): void {
    try {
      this.#writeLine(accessLine(record, this.#region));
    } catch {
      // logging never fails a request
    }
  }

  errorLog(correlationId: string, cause: unknown, context: { where: string; tool?: string }): void {
    try {
      this.logger.error('request failed', toErrorFields(correlationId, cause, context));
    } catch {
      // logging never fails a request
    }
  }

  hashIdentifier(value: string): IdentifierHash {
    return this.#hash(value);
  }

  countRequest(outcome: RequestOutcome, latencyMs: number): void {
    if (!this.#closing) this.#metrics.request(outcome, latencyMs);
  }

  countError(kind: ErrorKind): void {
    if (!this.#closing) this.#metrics.error(kind);
  }

  countToolCall(tool: string, outcome: ToolOutcome, latencyMs: number): void {
    if (!this.#closing) this.#metrics.toolCall(tool, outcome, latencyMs);
  }

  countAuthFailure(reason: AuthFailureReason): void {
    if (!this.#closing) this.#metrics.authFailure(reason);
  }

  countRedactions(kind: string, n: number): void {
    if (!this.#closing) this.#metrics.redactions(kind, n);
  }

  countRateLimited(scope: RateLimitScope): void {
    if (!this.#closing) this.#metrics.rateLimited(scope);
  }

  countSession(event: SessionEvent): void {
    if (!this.#closing) this.#metrics.session(event);
  }

  countCredentialInput(tool: string): void {
    if (!this.#closing) this.#metrics.credentialInput(tool);
  }

  flush(): void {
    try {
      this.#metrics.flush();
    } catch {
      // called from a timer: an exception here would end the process
    }
  }

  flushTraces(): Promise<void> {
    return this.#tracing.flush();
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      clearInterval(this.#timer);
      this.flush();
      await this.#tracing.close();
    })();
    return this.#closing;
  }
}

/**
 * Creates the logs, traces and metrics of one server process. Call `close()` on shutdown.
 *
 * @throws RangeError when a name, the namespace, the region, the log level, the flush interval,
 *   the sampling rule or the OTLP endpoint is not valid; the message names the option and value
 * @example
 * const obs = createObservability({ serviceName: 'enterprise-mcp', logLevel: 'INFO', metricsNamespace: 'EnterpriseMcp',
 *   region: 'eu-west-1', otlp: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/protobuf' } });
 * process.on('SIGTERM', () => void obs.close());
 */
export function createObservability(options: ObservabilityOptions): Observability {
  requireText('serviceName', options.serviceName, 200);
  requireText('metricsNamespace', options.metricsNamespace, 255);
  requireText('region', options.region, 64);
  if (!LOG_LEVELS.has(options.logLevel)) throw new RangeError(`logLevel must be DEBUG, INFO, WARN or ERROR (got ${JSON.stringify(options.logLevel)})`);
  const interval = options.metricsFlushIntervalMs;
  if (interval !== undefined && !(Number.isInteger(interval) && interval >= 100 && interval <= 300_000)) {
    throw new RangeError(`metricsFlushIntervalMs must be an integer from 100 to 300000 (got ${interval})`);
  }
  const delay = options.traceExportDelayMs;
  if (delay !== undefined && !(Number.isInteger(delay) && delay >= 10 && delay <= 60_000)) {
    throw new RangeError(`traceExportDelayMs must be an integer from 10 to 60000 (got ${delay})`);
  }
  if (options.otlp !== undefined) checkOtlpExport(options.otlp);
  return new ServerObservability(options);
}
