import { type DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ownerKey } from '../auth/principal.js';
import { isLogLevel, type LogLevel } from '../logging/index.js';
import { createSessionStoreClient, isConditionalCheckFailed } from './client.js';
import { SessionStoreUnavailableError } from './errors.js';
import { MAX_SESSION_SLOTS, newSessionId, sessionIdKey, sha256Hex, type SessionIdKey } from './ids.js';
import { A, key, mayHaveLinked, num, readString, str, type Item } from './items.js';
import { boundedString, integer, seconds, SESSION_STORE_DEFAULTS, type DynamoSessionStoreOptions } from './options.js';
import { OwnerSlots } from './owner-slots.js';
import { PendingInputItems } from './pending-inputs.js';
import { BoundedTtlCache } from './record-cache.js';
import { boundClientInfo, boundInputCapabilities, isLive, parseSession, sessionItem, sessionKey, usableBy } from './session-records.js';
import { StateItems } from './state-items.js';
import type {
  CreatedSession,
  NewSession,
  ResolvedHandle,
  SessionCaller,
  SessionOwner,
  SessionRecord,
  SessionStore,
  StateDocument,
  StateKey,
} from './store.js';
import { TableCalls } from './table-calls.js';

export { SESSION_STORE_DEFAULTS, type DynamoSessionStoreOptions } from './options.js';

const MAX_PROTOCOL_VERSION = 64;
const MAX_CLIENT_ID = 512;
/** The key the readiness check reads: no item is ever written under it (no other key starts with `readiness#`). */
const READINESS_KEY = 'readiness#probe';

/**
 * The session store on a DynamoDB table (a global table replica in AWS; dynalite or LocalStack
 * locally). Safe to share by every instance in every region: all writes are conditional, nothing
 * lives only in process memory except short, bounded caches.
 *
 * Keys: the sessions of an owner are the items of one partition, `pk = sessions#<owner digest>`,
 * one per slot (`sk = slot#<k>`, `k` below the per-owner cap); the session id names its slot in its
 * last two characters, and the item holds the SHA-256 of the id, so the table never holds usable
 * session ids. A handle is `pk = handle#<owner digest>#<sha256(handle)>`; a state document is
 * `pk = state#<owner digest>` with `sk = scope#<scope>` or `session#<sha256(id)>#<scope>`.
 *
 * The per-owner cap is the number of slots (see `OwnerSlots`): a new session takes a free slot or
 * the slot of the owner's oldest live session, in one conditional write when this instance knows
 * the owner's slots and a query and a write when it does not. A user who leaks sessions by
 * reconnecting is never locked out, and storage per owner never exceeds the cap.
 *
 * A session is usable only by the owner and the OAuth client that opened it: a token of the same
 * user issued to another client reads it as absent, exactly like an unknown id.
 *
 * Reads are strongly consistent within the region, so a session minted on one instance serves at once
 * on every other instance of the region. Across regions the global table replicates asynchronously
 * (typically within a second or two): until then the other region reads the session as absent.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #calls: TableCalls;
  readonly #ownsClient: boolean;
  readonly #idleMs: number;
  readonly #absoluteMs: number;
  readonly #touchIntervalMs: number;
  readonly #maxSessionsPerOwner: number;
  readonly #clock: () => number;
  readonly #cache: BoundedTtlCache<SessionRecord>;
  readonly #slots: OwnerSlots;
  readonly #state: StateItems;
  /** The records of pending server-to-client requests of 2025-era sessions (see `PendingInputItems`). */
  readonly pendingInputs: PendingInputItems;

  /**
   * @throws RangeError when an option is out of range (the message names it and shows the value).
   * @example
   * const store = new DynamoSessionStore({ tableName: 'mcp-sessions', region: 'eu-west-1' });
   */
  constructor(options: DynamoSessionStoreOptions) {
    if (typeof options.tableName !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(options.tableName)) {
      throw new RangeError(`tableName must be a DynamoDB table name (got "${String(options.tableName)}")`);
    }
    const d = SESSION_STORE_DEFAULTS;
    const idle = seconds('idleTimeoutSeconds', options.idleTimeoutSeconds ?? d.idleTimeoutSeconds, 1);
    const absolute = seconds('absoluteLifetimeSeconds', options.absoluteLifetimeSeconds ?? d.absoluteLifetimeSeconds, 1);
    const touch = seconds('touchIntervalSeconds', options.touchIntervalSeconds ?? d.touchIntervalSeconds, 0);
    this.#idleMs = idle * 1000;
    this.#absoluteMs = absolute * 1000;
    this.#touchIntervalMs = Math.min(touch * 1000, this.#idleMs / 2);
    this.#maxSessionsPerOwner = integer('maxSessionsPerOwner', options.maxSessionsPerOwner ?? d.maxSessionsPerOwner, 1, MAX_SESSION_SLOTS);
    const stateTtlMs = seconds('stateTtlSeconds', options.stateTtlSeconds ?? d.stateTtlSeconds, 1) * 1000;
    const maxHandleTtlSeconds = integer('maxHandleTtlSeconds', options.maxHandleTtlSeconds ?? d.maxHandleTtlSeconds, 1);
    const operationTimeoutMs = integer('operationTimeoutMs', options.operationTimeoutMs ?? d.operationTimeoutMs, 1);
    const retryAfterSeconds = integer('retryAfterSeconds', options.retryAfterSeconds ?? d.retryAfterSeconds, 1);
    this.#clock = options.clock ?? Date.now;
    const cacheTtlMs = seconds('cacheTtlSeconds', options.cacheTtlSeconds ?? d.cacheTtlSeconds, 0) * 1000;
    const cacheMax = integer('cacheMaxEntries', options.cacheMaxEntries ?? d.cacheMaxEntries, 0);
    const viewTtlMs = seconds('ownerViewTtlSeconds', options.ownerViewTtlSeconds ?? d.ownerViewTtlSeconds, 0) * 1000;
    this.#cache = new BoundedTtlCache<SessionRecord>(cacheMax, cacheTtlMs, this.#clock);
    this.#ownsClient = options.client === undefined;
    const client = options.client ?? createSessionStoreClient(options);
    this.#calls = new TableCalls(client, options.tableName, operationTimeoutMs, retryAfterSeconds);
    this.#slots = new OwnerSlots(this.#calls, this.#maxSessionsPerOwner, viewTtlMs, cacheMax, this.#clock);
    this.pendingInputs = new PendingInputItems(this.#calls, this.#clock);
    this.#state = new StateItems(this.#calls, { stateTtlMs, sessionLifetimeMs: this.#absoluteMs, maxHandleTtlSeconds }, this.#clock);
  }

  /**
   * Hands the store's DynamoDB client to `instrument` (the tracer's `captureAwsClient`), so that
   * its calls are recorded as spans of the request that made them and carry its trace context.
   */
  instrumentClient(instrument: (client: DynamoDBClient) => unknown): void {
    instrument(this.#calls.client);
  }

  /** Session records held in this instance's cache now (never more than `cacheMaxEntries`). */
  get cachedSessionCount(): number {
    return this.#cache.size;
  }

  /**
   * Mints a session for `principal`: 256 bits from the CSPRNG plus the owner slot it lives in
   * (45 characters of `[A-Za-z0-9_-]`), written into a free slot of the owner or over the owner's
   * oldest live session when all `maxSessionsPerOwner` slots hold live ones.
   *
   * @param init.clientId defaults to `principal.clientId`; 1–512 characters.
   * @param init.protocolVersion 1–64 characters.
   * @param init.clientInfo stored as `{ name, version, title? }`, each cut to 256 characters.
   * @param init.clientCapabilities only the input kinds (`boundInputCapabilities`) are stored.
   * @throws RangeError when `clientId` or `protocolVersion` is empty or too long.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async createSession(principal: SessionCaller, init: NewSession): Promise<CreatedSession> {
    const clientId = boundedString('clientId', init.clientId ?? principal.clientId, MAX_CLIENT_ID);
    const protocolVersion = boundedString('protocolVersion', init.protocolVersion, MAX_PROTOCOL_VERSION);
    const clientInfo = boundClientInfo(init.clientInfo);
    const clientCapabilities = boundInputCapabilities(init.clientCapabilities);
    const owner = ownerKey(principal);
    let id = '';
    let idHash = '';
    let record: SessionRecord | undefined;
    await this.#slots.place(principal, (slot) => {
      id = newSessionId(slot);
      idHash = sha256Hex(id);
      const now = this.#clock();
      const absoluteExpiresAt = now + this.#absoluteMs;
      const idleExpiresAt = Math.min(now + this.#idleMs, absoluteExpiresAt);
      record = {
        owner,
        issuer: principal.issuer,
        subject: principal.subject,
        clientId,
        protocolVersion,
        clientInfo,
        clientCapabilities,
        createdAt: now,
        lastUsedAt: now,
        idleExpiresAt,
        absoluteExpiresAt,
        expiresAt: Math.ceil(idleExpiresAt / 1000),
        version: 1,
      };
      return { item: sessionItem(principal, slot, idHash, record), occupant: { idHash, createdAt: now, idleExpiresAt, absoluteExpiresAt } };
    });
    this.#cache.set(idHash, record!);
    return { id, record: record! };
  }

  /**
   * The session `id` if it is live and `principal` may use it: its owner (issuer and subject) and
   * the OAuth client that opened it, compared exactly. Unknown, malformed, expired (idle or absolute,
   * checked here, not left to TTL), deleted, foreign and other-client sessions all read as
   * `undefined`, so a caller cannot tell them apart. May be served from the in-process cache for up
   * to `cacheTtlSeconds`.
   *
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async getSession(id: string | SessionIdKey, principal: SessionCaller): Promise<SessionRecord | undefined> {
    const key = sessionIdKey(id);
    if (key === undefined || key.slot >= this.#maxSessionsPerOwner) return undefined;
    const { slot, idHash } = key;
    const now = this.#clock();
    const cached = this.#cache.get(idHash);
    if (cached !== undefined) {
      if (!usableBy(cached, principal)) return undefined;
      // A cached record past its idle expiry may have been touched elsewhere: read it again.
      if (isLive(cached, now)) return cached;
    }
    const { Item } = await this.#calls.call('GetItem', (abortSignal) =>
      this.#calls.client.send(
        new GetItemCommand({ TableName: this.#calls.table, Key: sessionKey(principal, slot), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    // The slot is the caller's own (its key holds the caller's owner digest); it may hold another session.
    const record = Item === undefined || readString(Item, A.idHash) !== idHash ? undefined : parseSession(Item);
    if (record === undefined || !isLive(record, now)) {
      this.#cache.delete(idHash);
      return undefined;
    }
    this.#cache.set(idHash, record);
    return usableBy(record, principal) ? record : undefined;
  }

  /**
   * Records that the session was used now, if its last recorded use is at least the touch interval
   * old; otherwise does nothing (one write per interval, not one per request). The write extends the
   * idle expiry, never past the absolute expiry, and is conditional on the record's version and
   * liveness: it never brings back a deleted, replaced or expired session, and of two instances
   * touching at once only one writes.
   *
   * @param record the record `getSession` just returned for `id`.
   * @returns whether a write happened.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async touchSession(id: string | SessionIdKey, record: SessionRecord): Promise<boolean> {
    const key = sessionIdKey(id);
    if (key === undefined) return false;
    const now = this.#clock();
    if (now - record.lastUsedAt < this.#touchIntervalMs || !isLive(record, now)) return false;
    const { slot, idHash } = key;
    const idleExpiresAt = Math.min(now + this.#idleMs, record.absoluteExpiresAt);
    const touched: SessionRecord = {
      ...record,
      lastUsedAt: now,
      idleExpiresAt,
      expiresAt: Math.ceil(idleExpiresAt / 1000),
      version: record.version + 1,
    };
    try {
      await this.#calls.call('UpdateItem', (abortSignal) =>
        this.#calls.client.send(
          new UpdateItemCommand({
            TableName: this.#calls.table,
            Key: sessionKey(record, slot),
            UpdateExpression: 'SET #lastUsedAt = :now, #idle = :idle, #ttl = :ttl, #version = :next',
            ConditionExpression: '#h = :h AND #version = :version AND #idle > :now AND #absolute > :now',
            ExpressionAttributeNames: {
              '#h': A.idHash,
              '#lastUsedAt': A.lastUsedAt,
              '#idle': A.idleExpiresAt,
              '#absolute': A.absoluteExpiresAt,
              '#ttl': A.expiresAt,
              '#version': A.version,
            },
            ExpressionAttributeValues: {
              ':h': str(idHash),
              ':now': num(now),
              ':idle': num(idleExpiresAt),
              ':ttl': num(touched.expiresAt),
              ':next': num(touched.version),
              ':version': num(record.version),
            },
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Deleted, replaced, expired, or touched by another instance: forget the local copy and let the next read decide.
      this.#cache.delete(idHash);
      return false;
    }
    this.#cache.set(idHash, touched);
    this.#slots.touched(record, slot, idHash, idleExpiresAt);
    return true;
  }

  /**
   * Records the level of the client's `logging/setLevel` in the session record, so that every later
   * request of the session, on any instance, reads it with the record it already loads (no extra
   * read). One conditional write: the session must still be the caller's (same id, same client) and
   * live. Other instances see the new level once their cached copy lapses (`cacheTtlSeconds`).
   *
   * @returns whether a live session of `principal` was updated (`false` reads like an unknown session).
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async setLogLevel(id: string | SessionIdKey, principal: SessionCaller, level: LogLevel): Promise<boolean> {
    const key = sessionIdKey(id);
    if (key === undefined || key.slot >= this.#maxSessionsPerOwner || !isLogLevel(level)) return false;
    const { slot, idHash } = key;
    const now = this.#clock();
    let updated: Item | undefined;
    try {
      ({ Attributes: updated } = await this.#calls.call('UpdateItem', (abortSignal) =>
        this.#calls.client.send(
          new UpdateItemCommand({
            TableName: this.#calls.table,
            Key: sessionKey(principal, slot),
            UpdateExpression: 'SET #level = :level ADD #version :one',
            ConditionExpression: '#h = :h AND #clientId = :clientId AND #idle > :now AND #absolute > :now',
            ExpressionAttributeNames: {
              '#h': A.idHash,
              '#clientId': A.clientId,
              '#level': A.logLevel,
              '#idle': A.idleExpiresAt,
              '#absolute': A.absoluteExpiresAt,
              '#version': A.version,
            },
            ExpressionAttributeValues: { ':h': str(idHash), ':clientId': str(principal.clientId), ':level': str(level), ':now': num(now), ':one': num(1) },
            ReturnValues: 'ALL_NEW',
          }),
          { abortSignal },
        ),
      ));
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      this.#cache.delete(idHash);
      return false;
    }
    const record = updated === undefined ? undefined : parseSession(updated);
    if (record === undefined || !usableBy(record, principal)) {
      this.#cache.delete(idHash);
      return false;
    }
    this.#cache.set(idHash, record);
    return true;
  }

  /**
   * Ends the session if `principal` may use it (owner and client), and removes the state documents
   * and pending input records tied to it. One conditional delete for a session that has none (the
   * common case: the item says so), then a query of each kind it may have. Any other session is left
   * alone. Takes effect at once on this instance; other instances stop serving it within `cacheTtlSeconds`.
   *
   * @returns `true` when a live session of `principal` was ended; `false` when it was unknown,
   * expired, already deleted, foreign or another client's (indistinguishable, like `getSession`).
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async deleteSession(id: string | SessionIdKey, principal: SessionCaller): Promise<boolean> {
    const key = sessionIdKey(id);
    if (key === undefined || key.slot >= this.#maxSessionsPerOwner) return false;
    const { slot, idHash } = key;
    this.#cache.delete(idHash);
    const old = await this.#calls.deleteOwned(sessionKey(principal, slot), principal, {
      condition: '#h = :h AND #clientId = :clientId',
      names: { '#h': A.idHash, '#clientId': A.clientId },
      values: { ':h': str(idHash), ':clientId': str(principal.clientId) },
    });
    if (old === undefined) return false;
    this.#slots.emptied(principal, slot);
    await this.#removeLinked(key.id, principal, old);
    const record = parseSession(old);
    return record !== undefined && isLive(record, this.#clock());
  }

  /**
   * Removes what was tied to a session just deleted, as far as its old item says there may be any:
   * nothing to do (no further call) for a session that never wrote session-scoped state or waited
   * for client input. Everything tied to a session marks it first (see `linkToSession`), so what
   * is looked for here after the delete includes everything written before it.
   */
  async #removeLinked(id: string, principal: SessionCaller, old: Item): Promise<void> {
    const cleanups: Promise<unknown>[] = [];
    if (mayHaveLinked(old, A.stateLinked)) {
      cleanups.push(this.#state.listSessionState(id, principal).then((keys) => this.#state.deleteItems(keys, principal)));
    }
    if (mayHaveLinked(old, A.inputsLinked)) cleanups.push(this.pendingInputs.closeSession(id));
    for (const outcome of await Promise.allSettled(cleanups)) {
      // The session itself is gone, which is what the caller asked for. What was tied to it can no
      // longer be reached through a live session and expires with TTL, so a failed cleanup is not an error.
      if (outcome.status === 'rejected' && !(outcome.reason instanceof SessionStoreUnavailableError)) throw outcome.reason;
    }
  }

  /**
   * Reads the owner's state document under `key`.
   *
   * @returns the value and its version, or `undefined` when there is none (or it expired).
   * @throws RangeError when `key` is malformed.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  readState(principal: SessionOwner, key: StateKey): Promise<StateDocument | undefined> {
    return this.#state.read(principal, key);
  }

  /**
   * Replaces the owner's state document under `key` if it is still at `expectedVersion` (0 when it
   * should not exist yet), in one conditional write: either the whole document is stored or nothing is.
   * Owner-level documents expire `stateTtlSeconds` after their last write; session-level ones after
   * the session's absolute lifetime.
   *
   * @param value any JSON-serializable value.
   * @returns the new version (`expectedVersion + 1`).
   * A new document tied to a session (`key.sessionId`) also marks the session, so that its deletion
   * removes the document (a second write); the session must still be there.
   *
   * @throws StateConflictError when the stored version is not `expectedVersion`.
   * @throws SessionEndedError when `key.sessionId` names a session of `principal` that is gone (nothing is kept).
   * @throws StateTooLargeError when the item would exceed the store's item size limit (checked before writing).
   * @throws TypeError when `value` is not JSON-serializable; RangeError when `key` or `expectedVersion` is malformed.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  writeState(principal: SessionOwner, key: StateKey, value: unknown, expectedVersion: number): Promise<{ version: number }> {
    return this.#state.write(principal, key, value, expectedVersion);
  }

  /**
   * Stores `value` behind a new handle owned by `principal`: 256 random bits, base64url, kept as an
   * owner-scoped item (`handle#<owner>#<sha256(handle)>`). Only the same owner can resolve it later;
   * possession of the handle grants nothing.
   *
   * @param kind what the handle stands for, `^[A-Za-z0-9_.:-]{1,64}$` (e.g. `cursor`).
   * @param value any JSON-serializable value.
   * @param ttlSeconds whole seconds, 1 to `maxHandleTtlSeconds`.
   * @throws StateTooLargeError when the item would exceed the store's item size limit.
   * @throws TypeError / RangeError for a non-serializable value, a malformed kind or a TTL out of range.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  mintHandle(principal: SessionOwner, kind: string, value: unknown, ttlSeconds: number): Promise<string> {
    return this.#state.mintHandle(principal, kind, value, ttlSeconds);
  }

  /**
   * Resolves a handle for `principal`. A handle minted for another owner, unknown, malformed,
   * expired, withdrawn, or of another kind than `kind` (when given) reads as `undefined`.
   *
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  resolveHandle(principal: SessionOwner, handle: string, kind?: string): Promise<ResolvedHandle | undefined> {
    return this.#state.resolveHandle(principal, handle, kind);
  }

  /**
   * Withdraws a handle of `principal` (a foreign handle is left alone).
   *
   * @returns whether a live handle of `principal` was withdrawn.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  deleteHandle(principal: SessionOwner, handle: string): Promise<boolean> {
    return this.#state.deleteHandle(principal, handle);
  }

  /**
   * Readiness check: one eventually consistent `GetItem` of a fixed key that no item ever has (the
   * cheapest data-plane read, half a read unit, with a permission the store already needs). Any
   * answer proves the table is reachable and readable from here.
   *
   * @throws SessionStoreUnavailableError when the table does not answer in time or cannot be read.
   */
  async ping(): Promise<void> {
    await this.#calls.call('GetItem', (abortSignal) =>
      this.#calls.client.send(
        new GetItemCommand({ TableName: this.#calls.table, Key: key(READINESS_KEY, READINESS_KEY), ProjectionExpression: '#pk', ExpressionAttributeNames: { '#pk': A.pk } }),
        { abortSignal },
      ),
    );
  }

  /** Empties the caches and closes the client's connections if the store built the client itself. */
  close(): void {
    this.#cache.clear();
    this.#slots.clear();
    if (this.#ownsClient) this.#calls.client.destroy();
  }
}
