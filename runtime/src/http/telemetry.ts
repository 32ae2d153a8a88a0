import type { AuthFailureReason } from '../auth/verifier.js';
import type { AccessRecord, ErrorKind, IdentifierHash, MetaTraceContext, RateLimitScope, RequestOutcome, TraceAnnotationKey, TraceId } from '../observability/index.js';

export type { AccessRecord, RequestOutcome };

/** One request's trace, as the HTTP layer uses it. */
export interface RequestSpan {
  /** X-Ray trace id; also the correlation id that error answers carry. Fixed once `continueFrom` has run. */
  readonly traceId: TraceId;
  /** Id of the request's span, when the request is recorded. */
  readonly spanId: string | undefined;
  /** Value for the `X-Amzn-Trace-Id` response header. */
  readonly responseHeader: string;
  /** Joins the trace in the `_meta` of a 2026-07-28 request when the headers named none; `undefined` for no body. */
  continueFrom(meta: MetaTraceContext | undefined): void;
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  annotate(key: TraceAnnotationKey, value: string): void;
  end(status: number): void;
}

/** What the HTTP layer reports. Implemented over Powertools by the observability module. */
export interface Telemetry {
  startRequest(headers: { xAmznTraceId?: string; traceparent?: string; tracestate?: string }): RequestSpan;
  access(record: AccessRecord): void;
  authFailure(reason: AuthFailureReason): void;
  rateLimited(scope: RateLimitScope): void;
  sessionOpened(): void;
  sessionEnded(): void;
  /** Private cause of a failure, under the correlation id. */
  failure(correlationId: string, cause: unknown, where: ErrorKind): void;
  hash(value: string): IdentifierHash;
}
