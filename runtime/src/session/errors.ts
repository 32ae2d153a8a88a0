/** Why the session store could not answer, for metrics and the private log record. */
export type StoreFailureReason = 'throttled' | 'timeout' | 'unreachable' | 'failed';

/**
 * The session store did not answer within its retry and time budget (unreachable, throttled, timed
 * out, or refused the call). Nothing was written by the failed operation. The HTTP layer answers
 * 503 with `Retry-After: retryAfterSeconds` and a generic body; `cause` stays in the private log.
 */
export class SessionStoreUnavailableError extends Error {
  override readonly name = 'SessionStoreUnavailableError';
  /** Seconds a client should wait before trying again (already jittered, at least 1). */
  readonly retryAfterSeconds: number;
  /** Coarse classification of the failure. */
  readonly reason: StoreFailureReason;
  /** The store operation that failed (`GetItem`, `PutItem`, ...). */
  readonly operation: string;

  constructor(operation: string, reason: StoreFailureReason, retryAfterSeconds: number, cause?: unknown) {
    super('the session store is unavailable', { cause });
    this.operation = operation;
    this.reason = reason;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A conditional state write lost: the stored document is no longer at `expectedVersion` (another
 * instance or request wrote first). Read again, merge, and write with the new version.
 */
export class StateConflictError extends Error {
  override readonly name = 'StateConflictError';
  /** The version the writer expected to replace (0 for a new document). */
  readonly expectedVersion: number;

  constructor(expectedVersion: number) {
    super('the state was changed by another writer');
    this.expectedVersion = expectedVersion;
  }
}

/**
 * A state document or handle value would make the stored item larger than the store accepts
 * (DynamoDB's 400 KB item limit, less a safety margin). Nothing was written.
 */
export class StateTooLargeError extends Error {
  override readonly name = 'StateTooLargeError';
  /** Size of the item that would have been written, in bytes as DynamoDB counts them. */
  readonly sizeBytes: number;
  /** Largest item size this store writes, in bytes. */
  readonly limitBytes: number;

  constructor(sizeBytes: number, limitBytes: number) {
    super(`the state is too large to store (${sizeBytes} bytes, limit ${limitBytes} bytes)`);
    this.sizeBytes = sizeBytes;
    this.limitBytes = limitBytes;
  }
}

/**
 * A write tied to a session (a session-scoped state document, a pending input request) found the
 * session gone: deleted, replaced at the owner's cap, or never there. What was written for it has
 * been removed again, so nothing outlives the session.
 */
export class SessionEndedError extends Error {
  override readonly name = 'SessionEndedError';

  constructor() {
    super('the session has ended');
  }
}
