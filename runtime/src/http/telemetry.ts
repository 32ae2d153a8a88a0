import type { AuthFailureReason } from '../auth/verifier.js';
import type { AccessRecord, ErrorKind, IdentifierHash, RateLimitScope, RequestOutcome, TraceId } from '../observability/index.js';

export type { AccessRecord, RequestOutcome };

/** One request's trace, as the HTTP layer uses it. */
export interface RequestSpan {
  /** X-Ray trace id; also the correlation id that error answers carry. */
  readonly traceId: TraceId;
  /** Value for the `X-Amzn-Trace-Id` response header. */
  readonly responseHeader: string;
  step<T>(name: string, run: () => Promise<T>): Promise<T>;
  annotate(key: 'method' | 'tool' | 'outcome' | 'era', value: string): void;
  end(status: number): void;
}

/** What the HTTP layer reports. Implemented over Powertools by the observability module. */
export interface Telemetry {
  startRequest(headers: { xAmznTraceId?: string; traceparent?: string }): RequestSpan;
  access(record: AccessRecord): void;
  authFailure(reason: AuthFailureReason): void;
  rateLimited(scope: RateLimitScope): void;
  sessionOpened(): void;
  sessionEnded(): void;
  /** Private cause of a failure, under the correlation id. */
  failure(correlationId: string, cause: unknown, where: ErrorKind): void;
  hash(value: string): IdentifierHash;
}
