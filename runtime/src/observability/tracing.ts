/**
 * X-Ray tracing for a long-running HTTP server.
 *
 * Powertools Tracer is not used here, on purpose. It is built around Lambda: it turns itself off
 * unless `AWS_EXECUTION_ENV` is set (so it would trace on Fargate but not under `npm run dev`),
 * it finds "the current segment" through the X-Ray SDK's automatic mode, whose cls-hooked context
 * installs process-wide async hooks (init/before/after/destroy on every promise) as soon as the SDK
 * is loaded, it refuses annotations on the root segment (Lambda's facade segment is read-only), its
 * fetch instrumentation writes the trace id from the process-wide `_X_AMZN_TRACE_ID` variable, and
 * each instance subscribes to diagnostics channels for good. None of that fits one process serving
 * many concurrent requests.
 *
 * So this module uses `aws-xray-sdk-core` directly, in manual mode: one `Segment` per request
 * (continuing the incoming trace id and parent), `Subsegment`s for the steps, the SDK's own
 * document format, and a UDP sender owned by this module (instead of the SDK's process-wide
 * emitter, whose socket is never closed) that sends to the configured daemon address. The SDK is
 * loaded lazily, only when tracing is on, with `AWS_XRAY_MANUAL_MODE` set while it loads so that
 * no async hook is ever installed.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import type * as XRaySdk from 'aws-xray-sdk-core';
import { TOOL_NAME } from './labels.js';
import { type IncomingTraceHeaders, resolveTraceContext, type TraceId, TraceSampler, type TraceSampling } from './trace-context.js';

type Segment = XRaySdk.Segment;
type Subsegment = XRaySdk.Subsegment;

/** Keys a request segment may be annotated with. Annotations are indexed and searchable in X-Ray. */
export type TraceAnnotationKey = 'method' | 'tool' | 'outcome' | 'era';

/** The trace of one request. */
export interface RequestTrace {
  /** X-Ray trace id; also the correlation id carried by error answers and every log record. */
  readonly traceId: TraceId;
  /** Whether this request is recorded (and its segment sent to the daemon). */
  readonly sampled: boolean;
  /**
   * Runs `fn` inside a subsegment named `name`, recording its duration, and a fault (or an error,
   * for a client error) when it throws; the subsegment is closed in every case and the original
   * outcome of `fn` is passed through unchanged. Once a client has been passed to
   * `captureAwsClient`, nested calls nest and that client's AWS SDK calls become subsegments of the
   * innermost one; before, every subsegment is a child of the request's segment.
   */
  subsegment<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * Adds a searchable annotation to the request segment. Only a few keys are allowed, and string
   * values must be short labels (`^[A-Za-z0-9_./:-]{1,64}$`); anything else is recorded as `invalid`.
   */
  annotate(key: TraceAnnotationKey, value: string | number | boolean): void;
  /** Records the HTTP status of the response (4xx flags an error, 429 a throttle, 5xx a fault). */
  setHttp(status: number): void;
  /** Closes the segment and sends it (UDP, fire-and-forget). Idempotent; never throws. */
  end(): void;
}

/** Settings of the tracer. */
export interface TracingOptions {
  /** Segment name used when a request gives none. */
  readonly serviceName: string;
  /** Added to every segment as the `region` annotation. */
  readonly region: string;
  /** `host:port` of the X-Ray daemon; tracing is off when undefined. */
  readonly daemonAddress?: string;
  readonly sampling: TraceSampling;
  /** Tells a client error (flagged `error`) from a server fault (flagged `fault`) for a thrown value. */
  readonly isClientError: (cause: unknown) => boolean;
  /** Called once, the first time a segment cannot be sent. */
  readonly onSendFailure: (error: Error) => void;
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

const ANNOTATION_KEYS: ReadonlySet<string> = new Set<TraceAnnotationKey>(['method', 'tool', 'outcome', 'era']);

/** Most subsegments recorded per request; keeps a segment document well under one datagram. */
const MAX_SUBSEGMENTS = 50;
const SAFE_LABEL = /^[A-Za-z0-9_./:-]{1,64}$/;
const ERROR_TYPE = /^[A-Za-z_$][\w$.]{0,63}$/;
const SEGMENT_NAME_UNSAFE = /[^\w\s.:/%&#=+@-]/g;
const DAEMON_ADDRESS = /^(\[[0-9a-fA-F:.]+\]|[^\s:]+):(\d{1,5})$/;
const PROTOCOL_HEADER = '{"format":"json","version":1}\n';
const MIDDLEWARE_NAME = 'observabilityXRaySubsegment';

const ECS_ORIGIN = process.env.ECS_CONTAINER_METADATA_URI_V4 || process.env.ECS_CONTAINER_METADATA_URI ? 'AWS::ECS::Container' : undefined;

let xraySdk: typeof XRaySdk | undefined;

/** Loads the X-Ray SDK once, in manual mode so that it installs no async hooks. */
function loadXRaySdk(): typeof XRaySdk {
  if (xraySdk) return xraySdk;
  const had = Object.prototype.hasOwnProperty.call(process.env, 'AWS_XRAY_MANUAL_MODE');
  if (!had) process.env.AWS_XRAY_MANUAL_MODE = 'true';
  try {
    xraySdk = createRequire(import.meta.url)('aws-xray-sdk-core') as typeof XRaySdk;
  } finally {
    // The SDK reads the variable only while loading; do not leak it into child processes.
    if (!had) delete process.env.AWS_XRAY_MANUAL_MODE;
  }
  return xraySdk;
}

/** Parses `host:port` (IPv6 in brackets). */
export function parseDaemonAddress(address: string): { host: string; port: number } {
  const match = DAEMON_ADDRESS.exec(address.trim());
  const port = match ? Number(match[2]) : NaN;
  if (!match || !(port >= 1 && port <= 65_535)) {
    throw new RangeError(`xrayDaemonAddress must be host:port (got "${address}")`);
  }
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

/** A `dns.lookup` for dgram that resolves a host name once every 30 s instead of once per datagram. */
function cachingLookup(): NonNullable<dgram.SocketOptions['lookup']> {
  let cached: { host: string; address: string; family: number; expires: number } | undefined;
  return (hostname: string, options: LookupOneOptions, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void) => {
    const literal = isIP(hostname);
    if (literal !== 0) return process.nextTick(callback, null, hostname, literal);
    if (cached && cached.host === hostname && cached.expires > Date.now()) {
      return process.nextTick(callback, null, cached.address, cached.family);
    }
    dnsLookup(hostname, options, (err, address, family) => {
      if (!err) cached = { host: hostname, address, family, expires: Date.now() + 30_000 };
      callback(err, address, family);
    });
  };
}

/**
 * Sends segment documents to the daemon over one unreferenced UDP socket, created on first use.
 * Sending never throws and never waits; `close()` waits (at most one second) for datagrams
 * already handed to the socket, then closes it.
 */
class SegmentSender {
  #socket: dgram.Socket | undefined;
  #inFlight = 0;
  #closed = false;
  #failureReported = false;
  #drained: (() => void) | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly onFailure: (error: Error) => void,
  ) {}

  send(document: string): void {
    if (this.#closed) return;
    try {
      const socket = (this.#socket ??= this.#open());
      const message = Buffer.from(PROTOCOL_HEADER + document);
      socket.send(message, this.port, this.host, this.#afterSend);
      this.#inFlight += 1; // after send(): its callback always runs later, and a throw adds nothing
    } catch (error) {
      this.#reportFailure(error);
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    const socket = this.#socket;
    if (!socket) return Promise.resolve();
    this.#socket = undefined;
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.#drained = undefined;
        socket.close(() => resolve());
      };
      const timer = setTimeout(finish, 1000);
      timer.unref();
      if (this.#inFlight === 0) finish();
      else this.#drained = finish;
    });
  }

  #open(): dgram.Socket {
    const socket = dgram.createSocket({ type: isIP(this.host) === 6 ? 'udp6' : 'udp4', lookup: cachingLookup() });
    socket.on('error', (error) => this.#reportFailure(error));
    socket.unref();
    return socket;
  }

  readonly #afterSend = (error: Error | null): void => {
    if (error) this.#reportFailure(error);
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#drained?.();
  };

  #reportFailure(error: unknown): void {
    if (this.#failureReported) return;
    this.#failureReported = true;
    try {
      this.onFailure(error instanceof Error ? error : new Error(String(error)));
    } catch {
      // reporting must not break sending
    }
  }
}

function safeLabel(value: string | number | boolean): string | number | boolean {
  if (typeof value === 'string') return SAFE_LABEL.test(value) ? value : 'invalid';
  if (typeof value === 'number') return Number.isFinite(value) ? value : 'invalid';
  return value === true;
}

function errorType(cause: unknown): string {
  const name = cause instanceof Error ? cause.name : undefined;
  return typeof name === 'string' && ERROR_TYPE.test(name) ? name : 'Error';
}

function statusFlags(node: Segment | Subsegment, status: number): void {
  if (status === 429) node.addThrottleFlag();
  if (status >= 400 && status < 500) node.addErrorFlag();
  else if (status >= 500) node.addFaultFlag();
}

/** A request that is not recorded: the trace id exists, everything else costs nothing. */
class UnrecordedTrace implements RequestTrace {
  readonly sampled = false;
  constructor(readonly traceId: TraceId) {}
  subsegment<T>(_name: string, fn: () => Promise<T>): Promise<T> {
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

interface RecordedSegment extends Segment {
  http?: { response: { status: number } };
  /** Takes one of the request's subsegment slots; false when the request has used them all. */
  admitSubsegment(): boolean;
}

/**
 * Builds the segment class of one tracer: the SDK's `Segment`, but flushed through this
 * tracer's sender instead of the SDK's process-wide emitter.
 */
function recordedSegmentClass(sdk: typeof XRaySdk, sender: SegmentSender): new (name: string, traceId: string, parentId?: string) => RecordedSegment {
  return class extends sdk.Segment implements RecordedSegment {
    declare http?: { response: { status: number } };
    #subsegments = 0;

    admitSubsegment(): boolean {
      if (this.#subsegments >= MAX_SUBSEGMENTS) return false;
      this.#subsegments += 1;
      return true;
    }

    // Called by the SDK once the segment and all its subsegments are closed.
    override flush(): void {
      if (this.notTraced === true) return;
      try {
        sender.send(this.format());
      } catch {
        // a segment that cannot be serialised is dropped, never thrown into the request
      }
    }
  };
}

/** A recorded request: one SDK segment, its subsegments, sent once everything is closed. */
class RecordedTrace implements RequestTrace {
  readonly sampled = true;
  #ended = false;

  constructor(
    readonly traceId: TraceId,
    private readonly segment: RecordedSegment,
    /** The async context of AWS SDK capture, once `captureAwsClient` asked for it. */
    private readonly context: () => AsyncLocalStorage<Subsegment> | undefined,
    private readonly isClientError: (cause: unknown) => boolean,
  ) {}

  async subsegment<T>(name: string, fn: () => Promise<T>): Promise<T> {
    if (this.#ended || !this.segment.admitSubsegment()) return fn();
    const context = this.context();
    const current = context?.getStore();
    const parent = current !== undefined && current.segment === this.segment ? current : this.segment;
    const sub = parent.addNewSubsegment(segmentName(name, 'step'));
    try {
      return await (context ? context.run(sub, fn) : fn());
    } catch (error) {
      markFailure(sub, error, this.isClientError);
      throw error;
    } finally {
      sub.close();
    }
  }

  annotate(key: TraceAnnotationKey, value: string | number | boolean): void {
    if (this.#ended || !ANNOTATION_KEYS.has(key)) return;
    this.segment.addAnnotation(key, key === 'tool' && typeof value === 'string' && !TOOL_NAME.test(value) ? 'invalid' : safeLabel(value));
  }

  setHttp(status: number): void {
    if (this.#ended || !Number.isInteger(status)) return;
    this.segment.http = { response: { status } };
    statusFlags(this.segment, status);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    try {
      this.segment.close();
    } catch {
      // never thrown into the request path
    }
  }
}

function markFailure(sub: Subsegment, cause: unknown, isClientError: (cause: unknown) => boolean): void {
  let client = false;
  try {
    client = isClientError(cause) === true;
  } catch {
    client = false;
  }
  if (client) sub.addErrorFlag();
  else sub.addFaultFlag();
  // The type only: messages and stacks may quote arguments or personal data. The private log
  // record, found by the trace id, has the full cause.
  sub.addAttribute('cause', { exceptions: [{ id: randomBytes(8).toString('hex'), type: errorType(cause) }] });
}

function segmentName(name: string, fallback: string): string {
  const cleaned = typeof name === 'string' ? name.replace(SEGMENT_NAME_UNSAFE, '_').slice(0, 200).trim() : '';
  return cleaned.length > 0 ? cleaned : fallback;
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

const THROTTLING = /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded/;

/**
 * The tracer of one observability instance. When no daemon address is configured every request
 * gets an {@link UnrecordedTrace}, the X-Ray SDK is never loaded and no socket is opened.
 */
export class Tracing {
  readonly #sampler: TraceSampler;
  readonly #sender: SegmentSender | undefined;
  readonly #segmentClass: ReturnType<typeof recordedSegmentClass> | undefined;
  /**
   * Which subsegment the code running now belongs to. Created by the first `captureAwsClient`:
   * an AsyncLocalStorage makes Node track the async context of every promise in the process, a
   * cost only worth paying when AWS SDK calls are to be recorded inside subsegments. Until then
   * every subsegment is a child of its request's segment.
   */
  #context: AsyncLocalStorage<Subsegment> | undefined;
  readonly #currentContext = () => this.#context;
  #closed = false;

  constructor(private readonly options: TracingOptions) {
    this.#sampler = new TraceSampler(options.sampling);
    if (options.daemonAddress === undefined) return;
    const { host, port } = parseDaemonAddress(options.daemonAddress);
    this.#sender = new SegmentSender(host, port, options.onSendFailure);
    this.#segmentClass = recordedSegmentClass(loadXRaySdk(), this.#sender);
  }

  /** Whether segments are sent anywhere. */
  get enabled(): boolean {
    return this.#sender !== undefined && !this.#closed;
  }

  /** Starts the trace of one request; see `Observability.startRequest`. */
  start(headers: IncomingTraceHeaders, name: string): RequestTrace {
    const incoming = resolveTraceContext(headers ?? {});
    if (!this.#segmentClass || this.#closed) return new UnrecordedTrace(incoming.traceId);
    const sampled = incoming.sampled ?? this.#sampler.sample();
    if (!sampled) return new UnrecordedTrace(incoming.traceId);
    const segment = new this.#segmentClass(segmentName(name, this.options.serviceName), incoming.traceId, incoming.parentId);
    if (ECS_ORIGIN) segment.origin = ECS_ORIGIN;
    segment.addAnnotation('region', safeLabel(this.options.region));
    return new RecordedTrace(incoming.traceId, segment, this.#currentContext, this.options.isClientError);
  }

  /**
   * Adds a middleware to an AWS SDK v3 client that records each call made inside
   * `trace.subsegment(...)` as an `aws` subsegment (service, operation, region, request id,
   * retries, table name, HTTP status, throttle/error/fault) and sends the trace header along.
   * Calls made outside a subsegment, or while tracing is off, pass through untouched.
   */
  captureAwsClient<C extends AwsSdkClient>(client: C): C {
    if (!this.#segmentClass) return client;
    const context = (this.#context ??= new AsyncLocalStorage<Subsegment>());
    const regionOf = regionProvider(client);
    const middleware: AwsBuildMiddleware = (next, handlerContext) => async (args) => {
      const parent = context.getStore();
      const segment = parent?.segment as RecordedSegment | undefined;
      if (!parent || !segment || segment.isClosed() || !segment.admitSubsegment()) return next(args);
      const service = (handlerContext.clientName ?? 'AWS').replace(/Client$/, '');
      const sub = parent.addNewSubsegment(segmentName(service, 'AWS'));
      sub.addAttribute('namespace', 'aws');
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (request?.headers) request.headers['X-Amzn-Trace-Id'] = `Root=${segment.trace_id};Parent=${sub.id};Sampled=1`;
      const aws: Record<string, unknown> = { operation: (handlerContext.commandName ?? '').replace(/Command$/, '') };
      const table = (args.input as { TableName?: unknown } | undefined)?.TableName;
      if (typeof table === 'string') aws.table_name = table;
      try {
        const region = await regionOf();
        if (region) aws.region = region;
        const result = await next(args);
        describeCall(sub, aws, awsMetadata(result.output));
        return result;
      } catch (error) {
        const metadata = awsMetadata(error);
        describeCall(sub, aws, metadata);
        if (metadata?.httpStatusCode === undefined) sub.addFaultFlag();
        if (error instanceof Error && THROTTLING.test(error.name)) sub.addThrottleFlag();
        sub.addAttribute('cause', { exceptions: [{ id: randomBytes(8).toString('hex'), type: errorType(error), remote: true }] });
        throw error;
      } finally {
        sub.close();
      }
    };
    (client.middlewareStack as unknown as BuildStepStack).add(middleware, { step: 'build', name: MIDDLEWARE_NAME, override: true });
    return client;
  }

  /** Stops recording and closes the socket once datagrams already sent have left. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#sender?.close();
  }
}

function describeCall(sub: Subsegment, aws: Record<string, unknown>, metadata: AwsMetadata | undefined): void {
  if (metadata?.requestId) aws.request_id = metadata.requestId;
  if (typeof metadata?.attempts === 'number') aws.retries = Math.max(0, metadata.attempts - 1);
  sub.addAttribute('aws', aws);
  if (typeof metadata?.httpStatusCode === 'number') {
    sub.addAttribute('http', { response: { status: metadata.httpStatusCode } });
    statusFlags(sub, metadata.httpStatusCode);
  }
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
