/**
 * Pending server-to-client requests of 2025-era sessions (elicitation, sampling, roots).
 *
 * A 2025-era call that needs input stays open on its POST's event stream while the server asks the
 * client; the client's answer arrives as a separate POST on the same session, at any instance. This
 * registry holds, per instance, what its calls are waiting for: bounded per session and per
 * principal, each with a deadline, released when the answer arrives, the deadline passes, the call's
 * connection closes, the session ends, or the server shuts down. Answers are checked
 * (`checkAnswer`) before the waiting handler sees them.
 *
 * When the answer reaches another instance, it is handed over through the session table
 * (`PendingInputItems`): the waiting instance records each request there and reads it, at a slowly
 * growing interval, until the answer is written.
 */
import { ownerKey } from '../auth/principal.js';
import { SessionEndedError, type PendingInputState, type SessionCaller } from '../session/index.js';
import { ANSWER_ERRORS, checkAnswer, MAX_ANSWER_BYTES, type CheckedAnswer, type InputMethod } from './legacy-answers.js';

/** The session table's part of the hand-over between instances (`PendingInputItems` implements it). */
export interface RemoteAnswers {
  open(sessionId: string, owner: SessionCaller, requestId: string, expiresAtMs: number): Promise<void>;
  answer(sessionId: string, caller: SessionCaller, requestId: string, answer: string): Promise<boolean>;
  read(sessionId: string, requestId: string): Promise<PendingInputState>;
  close(sessionId: string, requestId: string): Promise<void>;
}

/** Bounds of the pending requests. */
export interface PendingInputLimits {
  /** Most requests one session may have pending at once. */
  readonly perSession: number;
  /** Most requests one principal may have pending at once, over all its sessions. */
  readonly perPrincipal: number;
  /** How long one request waits for its answer, milliseconds. */
  readonly deadlineMs: number;
  /** First interval at which a waiting instance reads the session table for an answer; it grows to 8×. */
  readonly pollMs: number;
}

export const PENDING_INPUT_DEFAULTS: PendingInputLimits = { perSession: 4, perPrincipal: 16, deadlineMs: 120_000, pollMs: 250 };

/** One request a call is waiting on. */
export interface PendingRequest {
  readonly sessionId: string;
  readonly caller: SessionCaller;
  /** The JSON-RPC id the client sees: unique in the session (128 random bits). */
  readonly requestId: string;
  readonly method: InputMethod;
  readonly params: unknown;
  /** The end of the session: a request never waits past it. Epoch milliseconds. */
  readonly notAfter: number;
  /** Hands the checked answer (or a fixed error) to the waiting server. Called once. */
  readonly settle: (answer: CheckedAnswer) => void;
}

interface Entry extends PendingRequest {
  readonly owner: string;
  deadline?: NodeJS.Timeout;
  poll?: NodeJS.Timeout;
  pollMs: number;
  /** Set once the request is recorded in the session table. */
  remote: boolean;
}

/** What a posted answer came to. */
export type DeliveryOutcome = 'delivered' | 'refused';

function increment(counts: Map<string, number>, name: string, by: number): void {
  const next = (counts.get(name) ?? 0) + by;
  if (next <= 0) counts.delete(name);
  else counts.set(name, next);
}

/** The registry of one instance. */
export class PendingInputs {
  readonly #limits: PendingInputLimits;
  readonly #remote: RemoteAnswers | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #perSession = new Map<string, number>();
  readonly #perPrincipal = new Map<string, number>();
  readonly #onFailure: (cause: unknown) => void;
  #closed = false;

  /**
   * @param remote - the session table's hand-over; without it an answer must reach this instance
   * @param onFailure - gets the private cause when the session table does not answer
   */
  constructor(limits: PendingInputLimits, remote: RemoteAnswers | undefined, onFailure: (cause: unknown) => void = () => undefined) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`pending input ${name} must be a positive integer (got ${String(value)})`);
    }
    this.#limits = limits;
    this.#remote = remote;
    this.#onFailure = onFailure;
  }

  /** Requests pending on this instance now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Sessions and principals with pending requests now (both back to zero when nothing is pending). */
  get tracked(): { sessions: number; principals: number } {
    return { sessions: this.#perSession.size, principals: this.#perPrincipal.size };
  }

  /**
   * Starts waiting for the answer to `request`. Returns `false`, holding nothing, when the session or
   * the principal is at its bound or the registry is closed; the caller answers the call itself.
   * Resolves once the request is recorded where any instance can answer it; `settle` may already
   * have been called with an error when the session table could not record it.
   */
  async open(request: PendingRequest): Promise<boolean> {
    const owner = ownerKey(request.caller);
    if (
      this.#closed ||
      (this.#perSession.get(request.sessionId) ?? 0) >= this.#limits.perSession ||
      (this.#perPrincipal.get(owner) ?? 0) >= this.#limits.perPrincipal
    ) {
      return false;
    }
    const entry: Entry = { ...request, owner, pollMs: this.#limits.pollMs, remote: false };
    this.#entries.set(request.requestId, entry);
    increment(this.#perSession, request.sessionId, 1);
    increment(this.#perPrincipal, owner, 1);
    const waitMs = Math.max(0, Math.min(this.#limits.deadlineMs, request.notAfter - Date.now()));
    entry.deadline = setTimeout(() => this.#settle(entry, { error: ANSWER_ERRORS.timeout }), waitMs);
    if (this.#remote) {
      try {
        await this.#remote.open(request.sessionId, request.caller, request.requestId, Date.now() + waitMs + 5_000);
        if (this.#entries.get(request.requestId) !== entry) {
          this.#forget(entry.sessionId, entry.requestId);
          return true;
        }
        entry.remote = true;
        this.#schedulePoll(entry);
      } catch (error) {
        // A session that ended meanwhile is not a store failure: the call gets the ended answer.
        if (!(error instanceof SessionEndedError)) this.#onFailure(error);
        this.#settle(entry, { error: error instanceof SessionEndedError ? ANSWER_ERRORS.ended : ANSWER_ERRORS.unavailable });
      }
    }
    return true;
  }

  /**
   * An answer the client posted on session `sessionId`: handed to the call waiting here, or through
   * the session table to the instance where it waits. Unknown, foreign (another owner, client or
   * session), expired and already answered ids are all refused alike, and nothing is delivered.
   */
  async deliver(sessionId: string, caller: SessionCaller, requestId: string, answer: { result?: unknown; error?: unknown }): Promise<DeliveryOutcome> {
    const entry = this.#entries.get(requestId);
    if (entry) {
      const same = entry.sessionId === sessionId && entry.caller.issuer === caller.issuer && entry.caller.subject === caller.subject && entry.caller.clientId === caller.clientId;
      if (!same) return 'refused';
      this.#settle(entry, checkAnswer(entry.method, entry.params, answer));
      return 'delivered';
    }
    if (!this.#remote) return 'refused';
    const json = JSON.stringify(answer.error !== undefined ? { error: true } : { result: answer.result ?? null });
    if (Buffer.byteLength(json, 'utf8') > MAX_ANSWER_BYTES + 64) return 'refused';
    return (await this.#remote.answer(sessionId, caller, requestId, json)) ? 'delivered' : 'refused';
  }

  /** Stops waiting for `requestId` without an answer (its call is gone); nothing is settled. */
  cancel(requestId: string): void {
    const entry = this.#entries.get(requestId);
    if (entry) this.#release(entry);
  }

  /**
   * Ends every request of a session that ended (DELETE) waiting on this instance; nothing to do, and
   * nothing looked through, when it has none here. The session table's records of the session go
   * with the session's deletion (`DynamoSessionStore.deleteSession`), which stops the waits on other
   * instances at their next read.
   */
  endSession(sessionId: string): void {
    if (!this.#perSession.has(sessionId)) return;
    for (const entry of [...this.#entries.values()]) {
      if (entry.sessionId !== sessionId) continue;
      // Its record went with the session: nothing left to remove from the table.
      entry.remote = false;
      this.#settle(entry, { error: ANSWER_ERRORS.ended });
    }
  }

  /** Ends every pending request (shutdown); later `open` calls are refused. */
  close(): void {
    this.#closed = true;
    for (const entry of [...this.#entries.values()]) this.#settle(entry, { error: ANSWER_ERRORS.ended });
  }

  #settle(entry: Entry, answer: CheckedAnswer): void {
    if (this.#entries.get(entry.requestId) !== entry) return;
    this.#release(entry);
    entry.settle(answer);
  }

  #release(entry: Entry): void {
    if (this.#entries.get(entry.requestId) !== entry) return;
    this.#entries.delete(entry.requestId);
    clearTimeout(entry.deadline);
    clearTimeout(entry.poll);
    increment(this.#perSession, entry.sessionId, -1);
    increment(this.#perPrincipal, entry.owner, -1);
    if (entry.remote) this.#forget(entry.sessionId, entry.requestId);
  }

  #forget(sessionId: string, requestId: string): void {
    void this.#remote?.close(sessionId, requestId).catch((error: unknown) => this.#onFailure(error));
  }

  #schedulePoll(entry: Entry): void {
    entry.poll = setTimeout(() => void this.#poll(entry), entry.pollMs);
    entry.pollMs = Math.min(entry.pollMs * 2, this.#limits.pollMs * 8);
  }

  async #poll(entry: Entry): Promise<void> {
    if (this.#entries.get(entry.requestId) !== entry || !this.#remote) return;
    let state: PendingInputState;
    try {
      state = await this.#remote.read(entry.sessionId, entry.requestId);
    } catch (error) {
      this.#onFailure(error);
      state = { state: 'waiting' };
    }
    if (this.#entries.get(entry.requestId) !== entry) return;
    if (state.state === 'waiting') return this.#schedulePoll(entry);
    if (state.state === 'gone') return this.#settle(entry, { error: ANSWER_ERRORS.ended });
    let answer: { result?: unknown; error?: unknown };
    try {
      answer = JSON.parse(state.answer) as { result?: unknown; error?: unknown };
    } catch {
      answer = { error: true };
    }
    this.#settle(entry, checkAnswer(entry.method, entry.params, answer ?? { error: true }));
  }
}
