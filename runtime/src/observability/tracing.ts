/**
 * Tracing for a long-running HTTP server on the OpenTelemetry SDK, exported over OTLP/HTTP to the
 * collector beside the task, which writes to X-Ray.
 *
 * One SERVER span per recorded request, INTERNAL child spans for its steps and CLIENT spans for
 * the AWS SDK calls made inside them. No global tracer provider, context manager or
 * instrumentation is registered: spans are started with explicit parent contexts, and only once a
 * client is handed to `captureAwsClient` does an AsyncLocalStorage track which step is running, a
 * cost (every promise of the process is tracked) paid only when AWS calls are to be recorded.
 *
 * Which requests are recorded is decided here alone ({@link TraceSampler}); a caller's
 * `Sampled=1` or `traceparent` flags never force it. Span attributes are a fixed set of labels:
 * no token, argument value, exception message or stack ever reaches a span.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes, Context, Span, Tracer } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { TOOL_NAME } from './labels.js';
import { createOtlpExporter, EXPORT_TIMEOUT_MS, loadOpenTelemetry, type OtelModules, type OtlpExport, ReportingExporter, XRayIdGenerator } from './otel-sdk.js';
import {
  continueFromMeta,
  type IncomingTraceHeaders,
  type MetaTraceContext,
  resolveTraceContext,
  type TraceContext,
  type TraceId,
  TraceSampler,
  type TraceSampling,
  toW3cTraceId,
} from './trace-context.js';

/**
 * Keys a request span may carry as attributes; the collector indexes them as X-Ray annotations,
 * under the same names the X-Ray segments had.
 */
export type TraceAnnotationKey = 'method' | 'tool' | 'outcome' | 'era' | 'principal' | 'client_id' | 'result_type';

/** The trace of one request. */
export interface RequestTrace {
  /**
   * X-Ray trace id; also the correlation id carried by error answers and every log record. Fixed
   * once `continueFrom` has been called (or the first step after it has started).
   */
  readonly traceId: TraceId;
  /** Whether this request is recorded (and its spans exported). */
  readonly sampled: boolean;
  /** Id of the request's span (16 hex digits), once it exists; `undefined` when not recorded. */
  readonly spanId: string | undefined;
  /**
   * Joins the trace named in the `_meta` of a 2026-07-28 request when the headers named no parent
   * (see `continueFromMeta`). Call it once the body is parsed, with `undefined` when there is
   * none; later calls change nothing. Steps run before it are recorded with their timing once the
   * request span exists.
   */
  continueFrom(meta: MetaTraceContext | undefined): void;
  /**
   * Runs `fn` inside a child span named `name`, recording its duration, and the error type when it
   * throws (a server fault sets the span status to ERROR; a client error does not); the span is
   * ended in every case and the outcome of `fn` is passed through unchanged. Once a client has been
   * passed to `captureAwsClient`, nested steps nest and that client's calls become child spans of
   * the innermost step; before, every step is a child of the request's span.
   */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Sets one of a few attributes on the request span. String values must be short labels
   * (`^[A-Za-z0-9_./:-]{1,64}$`, 128 characters for a client id); anything else is recorded as `invalid`.
   */
  annotate(key: TraceAnnotationKey, value: string | number | boolean): void;
  /** Records the HTTP status of the response (5xx sets the span status to ERROR). */
  setHttp(status: number): void;
  /** Ends the request span; the batch processor exports it. Idempotent; never throws. */
  end(): void;
}

/** Settings of the tracer. */
export interface TracingOptions {
  /** `service.name` of the spans' resource. */
  readonly serviceName: string;
  /** `cloud.region` of the resource, and the `region` attribute of every request span. */
  readonly region: string;
  /** Where spans go; tracing is off when undefined. */
  readonly export?: OtlpExport;
  readonly sampling: TraceSampling;
  /** Tells a client error from a server fault for a value thrown inside a step. */
  readonly isClientError: (cause: unknown) => boolean;
  /** Called once, the first time an export fails. */
  readonly onSendFailure: (error: Error) => void;
  /**
   * Longest wait before buffered spans are exported, in milliseconds.
   * @default 1000
   */
  readonly exportDelayMs?: number;
}

/**
 * Any AWS SDK v3 client. Only its middleware stack is used; its generic, overloaded `add` is
 * accepted as it is and called with a build-step middleware.
 */
export interface AwsSdkClient {
  readonly middlewareStack: { add(middleware: never, options: never): void };
}

interface BuildStepStack {
  add(middleware: AwsBuildMiddleware, options: { step: 'build'; name: string; override: boolean }): void;
}

type AwsBuildHandler = (args: { input: unknown; request: unknown }) => Promise<{ output: unknown; response: unknown }>;
type AwsBuildMiddleware = (next: AwsBuildHandler, context: { clientName?: string; commandName?: string }) => AwsBuildHandler;

const ANNOTATION_KEYS: ReadonlySet<string> = new Set<TraceAnnotationKey>(['method', 'tool', 'outcome', 'era', 'principal', 'client_id', 'result_type']);

/** Most child spans recorded per request. */
const MAX_CHILD_SPANS = 50;
const SAFE_LABEL = /^[A-Za-z0-9_./:-]{1,64}$/;
const CLIENT_ID = /^[A-Za-z0-9_./:-]{1,128}$/;
const ERROR_TYPE = /^[A-Za-z_$][\w$.]{0,63}$/;
const SPAN_NAME = /^[A-Za-z0-9_.:/ -]{1,64}$/;
const MIDDLEWARE_NAME = 'observabilityOtelSpan';
const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded/;
const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2 } as const;
const STATUS_ERROR = 2;

const ON_ECS = Boolean(process.env.ECS_CONTAINER_METADATA_URI_V4 || process.env.ECS_CONTAINER_METADATA_URI);

function safeLabel(value: string | number | boolean, pattern: RegExp = SAFE_LABEL): string | number | boolean {
  if (typeof value === 'string') return pattern.test(value) ? value : 'invalid';
  if (typeof value === 'number') return Number.isFinite(value) ? value : 'invalid';
  return value === true;
}

function errorType(cause: unknown): string {
  const name = cause instanceof Error ? cause.name : undefined;
  return typeof name === 'string' && ERROR_TYPE.test(name) ? name : 'Error';
}

function spanName(name: string, fallback: string): string {
  return typeof name === 'string' && SPAN_NAME.test(name) ? name : fallback;
}

/** A request that is not recorded: the trace id exists, everything else costs nothing. */
class UnrecordedTrace implements RequestTrace {
  readonly sampled = false;
  readonly spanId = undefined;
  #continued = false;

  constructor(private context: TraceContext) {}

  get traceId(): TraceId {
    return this.context.traceId;
  }

  continueFrom(meta: MetaTraceContext | undefined): void {
    if (this.#continued) return;
    this.#continued = true;
    this.context = continueFromMeta(this.context, meta);
  }

  step<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return fn();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  annotate(): void {}
  setHttp(): void {}
  end(): void {}
}

// Every start and end time is taken from performance.now(), so that the spans of one request are
// measured on one clock (the SDK's default end time comes from another).

/** The span a running step belongs to, for the AWS SDK middleware and nested steps. */
interface ActiveStep {
  readonly trace: RecordedTrace;
  readonly span: Span;
}

/** A step that ran before the request span existed, kept to be recorded when it does. */
interface EarlyStep {
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly failure?: { readonly type: string; readonly fault: boolean };
}

/** A recorded request: its SERVER span, started once its trace is known, and its child spans. */
class RecordedTrace implements RequestTrace {
  readonly sampled = true;
  #root: Span | undefined;
  #context: TraceContext;
  readonly #started = performance.now();
  readonly #attributes: Attributes;
  #early: EarlyStep[] | undefined;
  #children = 0;
  #ended = false;

  constructor(
    private readonly tracing: Tracing,
    context: TraceContext,
    private readonly name: string,
    region: string,
  ) {
    this.#context = context;
    this.#attributes = { region };
    // A caller that named a parent fixes the trace at once; otherwise `_meta` may still name one.
    if (context.parentId !== undefined) this.#bind();
  }

  get traceId(): TraceId {
    return this.#context.traceId;
  }

  get spanId(): string | undefined {
    return this.#root?.spanContext().spanId;
  }

  /** Takes one of the request's child-span slots; false once they are all used. */
  admitChild(): boolean {
    if (this.#ended || this.#children >= MAX_CHILD_SPANS) return false;
    this.#children += 1;
    return true;
  }

  continueFrom(meta: MetaTraceContext | undefined): void {
    if (this.#root) return;
    this.#context = continueFromMeta(this.#context, meta);
    this.#bind();
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (!this.admitChild()) return fn();
    if (!this.#root) return this.#earlyStep(spanName(name, 'step'), fn);
    const context = this.tracing.stepContext;
    const current = context?.getStore();
    const parent = current !== undefined && current.trace === this ? current.span : this.#root;
    const span = this.tracing.startSpan(spanName(name, 'step'), SPAN_KIND.INTERNAL, parent);
    try {
      return await (context ? context.run({ trace: this, span }, fn) : fn());
    } catch (error) {
      const fault = !this.tracing.isClientError(error);
      span.setAttribute('error.type', errorType(error));
      if (fault) span.setStatus({ code: STATUS_ERROR });
      throw error;
    } finally {
      span.end(performance.now());
    }
  }

  async #earlyStep<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const start = performance.now();
    const early = (this.#early ??= []);
    try {
      const result = await fn();
      early.push({ name, start, end: performance.now() });
      return result;
    } catch (error) {
      early.push({ name, start, end: performance.now(), failure: { type: errorType(error), fault: !this.tracing.isClientError(error) } });
      throw error;
    }
  }

  annotate(key: TraceAnnotationKey, value: string | number | boolean): void {
    if (this.#ended || !ANNOTATION_KEYS.has(key)) return;
    const label = key === 'tool' && typeof value === 'string' && !TOOL_NAME.test(value) ? 'invalid' : safeLabel(value, key === 'client_id' ? CLIENT_ID : SAFE_LABEL);
    if (this.#root) this.#root.setAttribute(key, label);
    else this.#attributes[key] = label;
  }

  setHttp(status: number): void {
    if (this.#ended || !Number.isInteger(status)) return;
    this.#bind();
    this.#root!.setAttribute('http.response.status_code', status);
    if (status >= 500) this.#root!.setStatus({ code: STATUS_ERROR });
  }

  end(): void {
    if (this.#ended) return;
    try {
      this.#bind();
      this.#ended = true;
      this.#root!.end(performance.now());
    } catch {
      this.#ended = true;
      // never thrown into the request path
    }
  }

  /** Starts the request span in the trace decided so far, then records the steps that ran before. */
  #bind(): void {
    if (this.#root) return;
    const root = this.tracing.startRequestSpan(this.name, this.#context, this.#started, this.#attributes);
    this.#root = root;
    const early = this.#early;
    this.#early = undefined;
    if (!early) return;
    for (const step of early) {
      const span = this.tracing.startSpan(step.name, SPAN_KIND.INTERNAL, root, step.start);
      if (step.failure) {
        span.setAttribute('error.type', step.failure.type);
        if (step.failure.fault) span.setStatus({ code: STATUS_ERROR });
      }
      span.end(step.end);
    }
  }
}

interface AwsMetadata {
  readonly httpStatusCode?: number;
  readonly requestId?: string;
  readonly attempts?: number;
}

function awsMetadata(value: unknown): AwsMetadata | undefined {
  if (value === null || typeof value !== 'object' || !('$metadata' in value)) return undefined;
  const metadata = (value as { $metadata: unknown }).$metadata;
  return metadata !== null && typeof metadata === 'object' ? (metadata as AwsMetadata) : undefined;
}

function describeCall(span: Span, metadata: AwsMetadata | undefined): void {
  if (typeof metadata?.requestId === 'string' && SAFE_LABEL.test(metadata.requestId)) span.setAttribute('aws.request_id', metadata.requestId);
  if (typeof metadata?.attempts === 'number') span.setAttribute('aws.retries', Math.max(0, metadata.attempts - 1));
  if (typeof metadata?.httpStatusCode === 'number') span.setAttribute('http.response.status_code', metadata.httpStatusCode);
}

function regionProvider(client: AwsSdkClient): () => Promise<string | undefined> {
  const region: unknown = (client as { config?: { region?: unknown } }).config?.region;
  if (typeof region === 'string') return () => Promise.resolve(region);
  if (typeof region === 'function') {
    return async () => {
      try {
        const value: unknown = await (region as () => unknown)();
        return typeof value === 'string' ? value : undefined;
      } catch {
        return undefined;
      }
    };
  }
  return () => Promise.resolve(undefined);
}

/** Sets a header on an AWS SDK HTTP request. */
const HEADER_SETTER = {
  set(carrier: Record<string, string>, key: string, value: string): void {
    carrier[key] = value;
  },
};

/**
 * The tracer of one observability instance. When no export target is configured every request
 * gets an {@link UnrecordedTrace}, the SDK is never loaded and nothing is opened.
 */
export class Tracing {
  readonly #sampler: TraceSampler;
  readonly #otel: OtelModules | undefined;
  readonly #provider: TracerProvider | undefined;
  readonly #tracer: Tracer | undefined;
  readonly #ids = new XRayIdGenerator();
  readonly #propagators: Array<{ inject(context: Context, carrier: unknown, setter: typeof HEADER_SETTER): void }> = [];
  /**
   * Which step the code running now belongs to. Created by the first `captureAwsClient`: an
   * AsyncLocalStorage makes Node track the async context of every promise in the process, a cost
   * only worth paying when AWS SDK calls are to be recorded inside steps.
   */
  stepContext: AsyncLocalStorage<ActiveStep> | undefined;
  readonly isClientError: (cause: unknown) => boolean;
  #closed = false;
  #closeExporter: () => void = () => undefined;

  constructor(private readonly options: TracingOptions) {
    this.#sampler = new TraceSampler(options.sampling);
    this.isClientError = (cause) => {
      try {
        return options.isClientError(cause) === true;
      } catch {
        return false;
      }
    };
    if (options.export === undefined) return;
    const otel = (this.#otel = loadOpenTelemetry());
    const otlp = createOtlpExporter(options.export);
    this.#closeExporter = otlp.close;
    const exporter = new ReportingExporter(otlp.exporter, options.onSendFailure);
    const resource = otel.resources.defaultResource().merge(
      otel.resources.resourceFromAttributes({
        'service.name': options.serviceName,
        'cloud.provider': 'aws',
        'cloud.region': options.region,
        ...(ON_ECS ? { 'cloud.platform': 'aws_ecs' } : {}),
      }),
    );
    this.#provider = new otel.sdk.TracerProvider({
      resource,
      idGenerator: this.#ids,
      sampler: new otel.sdk.AlwaysOnSampler(),
      spanLimits: { attributeCountLimit: 32, attributeValueLengthLimit: 256, eventCountLimit: 0, linkCountLimit: 0 },
      spanProcessors: [
        new otel.sdk.BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: options.exportDelayMs ?? 1000,
          maxQueueSize: 4096,
          maxExportBatchSize: 512,
          exportTimeoutMillis: EXPORT_TIMEOUT_MS,
        }),
      ],
    });
    this.#tracer = this.#provider.getTracer('enterprise-mcp-kit');
    this.#propagators.push(new otel.core.W3CTraceContextPropagator(), new otel.xray.AWSXRayPropagator());
  }

  /** Whether spans are exported anywhere. */
  get enabled(): boolean {
    return this.#tracer !== undefined && !this.#closed;
  }

  /** Starts the trace of one request; see `Observability.startRequest`. */
  start(headers: IncomingTraceHeaders, name: string): RequestTrace {
    const incoming = resolveTraceContext(headers ?? {});
    if (!this.#tracer || this.#closed || !this.#sampler.sample()) return new UnrecordedTrace(incoming);
    return new RecordedTrace(this, incoming, spanName(name, this.options.serviceName), this.options.region);
  }

  /** The SERVER span of a request in `context`'s trace, child of the caller's span when it named one. */
  startRequestSpan(name: string, context: TraceContext, startTime: number, attributes: Attributes): Span {
    const { api, core } = this.#otel!;
    const traceId = toW3cTraceId(context.traceId);
    let parent: Context = api.ROOT_CONTEXT;
    if (context.parentId !== undefined) {
      parent = api.trace.setSpanContext(parent, {
        traceId,
        spanId: context.parentId,
        // The caller's flags are not read: this span is recorded because this service chose to.
        traceFlags: 0,
        isRemote: true,
        ...(context.tracestate !== undefined ? { traceState: new core.TraceState(context.tracestate) } : {}),
      });
    } else {
      this.#ids.useNextTraceId(traceId);
    }
    return this.#tracer!.startSpan(name, { kind: SPAN_KIND.SERVER, startTime, attributes }, parent);
  }

  /** A child span of `parent`. */
  startSpan(name: string, kind: number, parent: Span, startTime?: number): Span {
    const { api } = this.#otel!;
    return this.#tracer!.startSpan(name, { kind, startTime: startTime ?? performance.now() }, api.trace.setSpan(api.ROOT_CONTEXT, parent));
  }

  /**
   * Adds a middleware to an AWS SDK v3 client that records each call made inside a step as a
   * CLIENT span (`rpc.system` `aws-api`, service, operation, region, request id, retries, table
   * name, HTTP status, error type) and sends `traceparent` and `X-Amzn-Trace-Id` along. Calls made
   * outside a step, in a request that is not recorded, or while tracing is off pass through untouched.
   */
  captureAwsClient<C extends AwsSdkClient>(client: C): C {
    if (!this.#tracer) return client;
    const context = (this.stepContext ??= new AsyncLocalStorage<ActiveStep>());
    const regionOf = regionProvider(client);
    const middleware: AwsBuildMiddleware = (next, handlerContext) => async (args) => {
      const active = context.getStore();
      if (!active || !active.trace.admitChild()) return next(args);
      const service = (handlerContext.clientName ?? 'AWS').replace(/Client$/, '');
      const operation = (handlerContext.commandName ?? '').replace(/Command$/, '');
      const span = this.startSpan(spanName(`${service}.${operation}`, 'AWS'), SPAN_KIND.CLIENT, active.span);
      span.setAttribute('rpc.system', 'aws-api');
      span.setAttribute('rpc.service', safeLabel(service) as string);
      span.setAttribute('rpc.method', safeLabel(operation) as string);
      const table = (args.input as { TableName?: unknown } | undefined)?.TableName;
      if (typeof table === 'string') span.setAttribute('aws.dynamodb.table_names', [safeLabel(table) as string]);
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) {
        const { api } = this.#otel!;
        const outgoing = api.trace.setSpan(api.ROOT_CONTEXT, span);
        for (const propagator of this.#propagators) propagator.inject(outgoing, request.headers, HEADER_SETTER);
      }
      try {
        const region = await regionOf();
        if (region) span.setAttribute('cloud.region', safeLabel(region) as string);
        const result = await next(args);
        describeCall(span, awsMetadata(result.output));
        return result;
      } catch (error) {
        const metadata = awsMetadata(error);
        describeCall(span, metadata);
        span.setAttribute('error.type', errorType(error));
        if (error instanceof Error && THROTTLING.test(error.name)) span.setAttribute('aws.throttled', true);
        if (metadata?.httpStatusCode === undefined || metadata.httpStatusCode >= 500) span.setStatus({ code: STATUS_ERROR });
        throw error;
      } finally {
        span.end(performance.now());
      }
    };
    (client.middlewareStack as unknown as BuildStepStack).add(middleware, { step: 'build', name: MIDDLEWARE_NAME, override: true });
    return client;
  }

  /** Exports every span ended so far. Resolves when the export has finished or failed. */
  async flush(): Promise<void> {
    await this.#provider?.forceFlush().catch(() => undefined);
  }

  /** Stops recording and exports what is buffered, waiting `EXPORT_TIMEOUT_MS` at most. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const provider = this.#provider;
    if (!provider) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      provider.shutdown().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, EXPORT_TIMEOUT_MS);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    this.#closeExporter();
  }
}
