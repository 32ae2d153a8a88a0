import {
  DeleteItemCommand,
  DescribeTableCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ownerKey, type Principal } from '../auth/principal.js';
import {
  classifyStoreError,
  createSessionStoreClient,
  isConditionalCheckFailed,
  type SessionStoreClientOptions,
} from './client.js';
import { SessionStoreUnavailableError, StateConflictError, StateTooLargeError, type StoreFailureReason } from './errors.js';
import { isOpaqueId, newOpaqueId, ownerDigest, sha256Hex } from './ids.js';
import { itemSizeBytes, MAX_STORED_ITEM_BYTES } from './item-size.js';
import { BoundedTtlCache } from './record-cache.js';
import type {
  ClientInfo,
  CreatedSession,
  NewSession,
  ResolvedHandle,
  SessionOwner,
  SessionRecord,
  SessionStore,
  StateDocument,
  StateKey,
} from './store.js';
import { SESSION_TABLE } from './table-schema.js';

/** Options of {@link DynamoSessionStore}. Only `tableName` is required. */
export interface DynamoSessionStoreOptions extends SessionStoreClientOptions {
  /** Name of the session table (its replica in this region). */
  readonly tableName: string;
  /**
   * A client to use instead of building one from the client options; the caller then owns it and
   * `close()` leaves it open.
   * @default - one built with `createSessionStoreClient(options)`
   */
  readonly client?: DynamoDBClient;
  /**
   * Seconds a session may go unused before it ends. Because last use is written at most once per
   * `touchIntervalSeconds`, a session may end up to that much earlier than this after its last use.
   * @default 1800
   */
  readonly idleTimeoutSeconds?: number;
  /**
   * Seconds after creation at which a session ends however much it is used.
   * @default 43200 (12 hours)
   */
  readonly absoluteLifetimeSeconds?: number;
  /**
   * Least seconds between two last-use writes of one session. 0 writes on every touch. Lowered to
   * half the idle timeout when larger.
   * @default 60
   */
  readonly touchIntervalSeconds?: number;
  /**
   * Most live sessions one owner may hold. At the cap, creating a session deletes the owner's oldest
   * live sessions (by creation time) to make room: see {@link DynamoSessionStore}.
   * @default 20
   */
  readonly maxSessionsPerOwner?: number;
  /**
   * Seconds a session record read from the table may be served from this instance's memory. This is
   * the longest time a session deleted on another instance can still serve its owner here. 0 turns the
   * cache off. Deletion on the same instance takes effect at once.
   * @default 5
   */
  readonly cacheTtlSeconds?: number;
  /**
   * Most session records the in-process cache holds (least recently used are dropped first).
   * @default 10000
   */
  readonly cacheMaxEntries?: number;
  /**
   * Seconds an owner-level state document is kept after its last write. Session-level documents
   * expire after `absoluteLifetimeSeconds` instead.
   * @default 2592000 (30 days)
   */
  readonly stateTtlSeconds?: number;
  /**
   * Longest lifetime `mintHandle` accepts, in seconds.
   * @default 86400 (1 day)
   */
  readonly maxHandleTtlSeconds?: number;
  /**
   * Milliseconds one store operation may take, all SDK attempts and backoff included, before it
   * fails with `SessionStoreUnavailableError`.
   * @default 5000
   */
  readonly operationTimeoutMs?: number;
  /**
   * Base of the `retryAfterSeconds` hint of `SessionStoreUnavailableError`: the hint is jittered
   * between this and twice this (doubled again when throttled), so clients do not return in lockstep.
   * @default 2
   */
  readonly retryAfterSeconds?: number;
  /**
   * Clock in epoch milliseconds (tests move it to cross expiries).
   * @default Date.now
   */
  readonly clock?: () => number;
}

/** Defaults of {@link DynamoSessionStoreOptions}. */
export const SESSION_STORE_DEFAULTS = {
  idleTimeoutSeconds: 1800,
  absoluteLifetimeSeconds: 43_200,
  touchIntervalSeconds: 60,
  maxSessionsPerOwner: 20,
  cacheTtlSeconds: 5,
  cacheMaxEntries: 10_000,
  stateTtlSeconds: 2_592_000,
  maxHandleTtlSeconds: 86_400,
  operationTimeoutMs: 5000,
  retryAfterSeconds: 2,
} as const;

/** Attribute names. Key, TTL and index attributes come from the shared table definition. */
const A = {
  pk: SESSION_TABLE.partitionKey,
  sk: SESSION_TABLE.sortKey,
  expiresAt: SESSION_TABLE.ttlAttribute,
  owner: SESSION_TABLE.ownerIndex.partitionKey,
  createdAt: SESSION_TABLE.ownerIndex.sortKey,
  issuer: 'issuer',
  subject: 'subject',
  clientId: 'clientId',
  protocolVersion: 'protocolVersion',
  clientInfo: 'clientInfo',
  lastUsedAt: 'lastUsedAt',
  idleExpiresAt: 'idleExpiresAt',
  absoluteExpiresAt: 'absoluteExpiresAt',
  version: 'version',
  scope: 'scope',
  kind: 'kind',
  value: 'value',
  mintedAt: 'mintedAt',
  updatedAt: 'updatedAt',
} as const;

const SESSION_SK = 'session';
const HANDLE_SK = 'handle';
const SCOPE_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const KIND_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
const MAX_CLIENT_INFO_FIELD = 256;
const MAX_PROTOCOL_VERSION = 64;
const MAX_CLIENT_ID = 512;
/** Most index entries read while enforcing the cap (far above any sane cap). */
const MAX_OWNER_SCAN = 1000;
/** Most session-scoped state documents removed with their session. */
const MAX_SESSION_STATE_CLEANUP = 100;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

type Item = Record<string, AttributeValue>;

/**
 * The session store on a DynamoDB table (a global table replica in AWS; dynalite or LocalStack
 * locally). Safe to share by every instance in every region: all writes are conditional, nothing
 * lives only in process memory except a short, bounded read cache.
 *
 * Keys: a session is `pk = session#<sha256(id)>`, so the table never holds usable session ids; a
 * handle is `pk = handle#<owner digest>#<sha256(handle)>`; a state document is
 * `pk = state#<owner digest>` with `sk = scope#<scope>` or `session#<sha256(id)>#<scope>`. Only
 * sessions carry `owner` and `createdAt`, so the `byOwner` index lists sessions only.
 *
 * At the per-owner cap: `createSession` lists the owner's sessions on the `byOwner` index and deletes
 * the oldest live ones (by creation time) until the new session fits, then writes it. A user who leaks
 * sessions by reconnecting is never locked out, and storage per owner stays bounded. The index is
 * eventually consistent, so creations racing on several instances may exceed the cap briefly; the
 * next creation brings it back down.
 *
 * Reads are strongly consistent within the region, so a session minted on one instance serves at once
 * on every other instance of the region. Across regions the global table replicates asynchronously
 * (typically within a second or two): until then the other region reads the session as absent.
 */
export class DynamoSessionStore implements SessionStore {
  readonly #client: DynamoDBClient;
  readonly #ownsClient: boolean;
  readonly #table: string;
  readonly #idleMs: number;
  readonly #absoluteMs: number;
  readonly #touchIntervalMs: number;
  readonly #maxSessionsPerOwner: number;
  readonly #stateTtlMs: number;
  readonly #maxHandleTtlSeconds: number;
  readonly #operationTimeoutMs: number;
  readonly #retryAfterSeconds: number;
  readonly #clock: () => number;
  readonly #cache: BoundedTtlCache<SessionRecord>;

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
    this.#maxSessionsPerOwner = integer('maxSessionsPerOwner', options.maxSessionsPerOwner ?? d.maxSessionsPerOwner, 1);
    this.#stateTtlMs = seconds('stateTtlSeconds', options.stateTtlSeconds ?? d.stateTtlSeconds, 1) * 1000;
    this.#maxHandleTtlSeconds = integer('maxHandleTtlSeconds', options.maxHandleTtlSeconds ?? d.maxHandleTtlSeconds, 1);
    this.#operationTimeoutMs = integer('operationTimeoutMs', options.operationTimeoutMs ?? d.operationTimeoutMs, 1);
    this.#retryAfterSeconds = integer('retryAfterSeconds', options.retryAfterSeconds ?? d.retryAfterSeconds, 1);
    this.#clock = options.clock ?? Date.now;
    const cacheTtlMs = seconds('cacheTtlSeconds', options.cacheTtlSeconds ?? d.cacheTtlSeconds, 0) * 1000;
    const cacheMax = integer('cacheMaxEntries', options.cacheMaxEntries ?? d.cacheMaxEntries, 0);
    this.#cache = new BoundedTtlCache<SessionRecord>(cacheMax, cacheTtlMs, this.#clock);
    this.#table = options.tableName;
    this.#ownsClient = options.client === undefined;
    this.#client = options.client ?? createSessionStoreClient(options);
  }

  /** Session records held in this instance's cache now (never more than `cacheMaxEntries`). */
  get cachedSessionCount(): number {
    return this.#cache.size;
  }

  /**
   * Mints a session for `principal`: a 256-bit id from the CSPRNG (43 base64url characters), written
   * only if no item has that key. Makes room first when the owner is at the cap (oldest live sessions
   * are deleted).
   *
   * @param init.clientId defaults to `principal.clientId`; 1–512 characters.
   * @param init.protocolVersion 1–64 characters.
   * @param init.clientInfo stored as `{ name, version, title? }`, each cut to 256 characters.
   * @throws RangeError when `clientId` or `protocolVersion` is empty or too long.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async createSession(
    principal: Pick<Principal, 'issuer' | 'subject' | 'clientId'>,
    init: NewSession,
  ): Promise<CreatedSession> {
    const clientId = boundedString('clientId', init.clientId ?? principal.clientId, MAX_CLIENT_ID);
    const protocolVersion = boundedString('protocolVersion', init.protocolVersion, MAX_PROTOCOL_VERSION);
    const clientInfo = boundClientInfo(init.clientInfo);
    const owner = ownerKey(principal);
    await this.#makeRoomForSession(principal, owner);
    // A collision of 256 random bits does not happen; the condition makes sure it could never overwrite.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const id = newOpaqueId();
      const now = this.#clock();
      const absoluteExpiresAt = now + this.#absoluteMs;
      const idleExpiresAt = Math.min(now + this.#idleMs, absoluteExpiresAt);
      const record: SessionRecord = {
        owner,
        issuer: principal.issuer,
        subject: principal.subject,
        clientId,
        protocolVersion,
        clientInfo,
        createdAt: now,
        lastUsedAt: now,
        idleExpiresAt,
        absoluteExpiresAt,
        expiresAt: Math.ceil(idleExpiresAt / 1000),
        version: 1,
      };
      const pk = sessionPk(id);
      if (!(await this.#putIfAbsent(sessionItem(pk, record)))) continue;
      this.#cache.set(pk, record);
      return { id, record };
    }
    throw new Error('could not mint a unique session id');
  }

  /**
   * The session `id` if it is live and `principal` owns it (issuer and subject compared exactly).
   * Unknown, malformed, expired (idle or absolute, checked here, not left to TTL), deleted and foreign
   * sessions all read as `undefined`, so a caller cannot tell them apart. May be served from the
   * in-process cache for up to `cacheTtlSeconds`.
   *
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async getSession(id: string, principal: SessionOwner): Promise<SessionRecord | undefined> {
    if (!isOpaqueId(id)) return undefined;
    const pk = sessionPk(id);
    const now = this.#clock();
    const cached = this.#cache.get(pk);
    if (cached !== undefined) {
      if (!ownedBy(cached, principal)) return undefined;
      // A cached record past its idle expiry may have been touched elsewhere: read it again.
      if (isLive(cached, now)) return cached;
    }
    const { Item } = await this.#call('GetItem', (abortSignal) =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: key(pk, SESSION_SK), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    const record = Item === undefined ? undefined : parseSession(Item);
    if (record === undefined || !isLive(record, now)) {
      this.#cache.delete(pk);
      return undefined;
    }
    this.#cache.set(pk, record);
    return ownedBy(record, principal) ? record : undefined;
  }

  /**
   * Records that the session was used now, if its last recorded use is at least the touch interval
   * old; otherwise does nothing (one write per interval, not one per request). The write extends the
   * idle expiry, never past the absolute expiry, and is conditional on the record's version and
   * liveness: it never brings back a deleted or expired session, and of two instances touching at
   * once only one writes.
   *
   * @param record the record `getSession` just returned for `id`.
   * @returns whether a write happened.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async touchSession(id: string, record: SessionRecord): Promise<boolean> {
    if (!isOpaqueId(id)) return false;
    const now = this.#clock();
    if (now - record.lastUsedAt < this.#touchIntervalMs || !isLive(record, now)) return false;
    const pk = sessionPk(id);
    const idleExpiresAt = Math.min(now + this.#idleMs, record.absoluteExpiresAt);
    const touched: SessionRecord = {
      ...record,
      lastUsedAt: now,
      idleExpiresAt,
      expiresAt: Math.ceil(idleExpiresAt / 1000),
      version: record.version + 1,
    };
    try {
      await this.#call('UpdateItem', (abortSignal) =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: key(pk, SESSION_SK),
            UpdateExpression: 'SET #lastUsedAt = :now, #idle = :idle, #ttl = :ttl, #version = :next',
            ConditionExpression:
              '#version = :version AND #issuer = :issuer AND #subject = :subject AND #idle > :now AND #absolute > :now',
            ExpressionAttributeNames: {
              '#lastUsedAt': A.lastUsedAt,
              '#idle': A.idleExpiresAt,
              '#absolute': A.absoluteExpiresAt,
              '#ttl': A.expiresAt,
              '#version': A.version,
              '#issuer': A.issuer,
              '#subject': A.subject,
            },
            ExpressionAttributeValues: {
              ':now': num(now),
              ':idle': num(idleExpiresAt),
              ':ttl': num(touched.expiresAt),
              ':next': num(touched.version),
              ':version': num(record.version),
              ':issuer': str(record.issuer),
              ':subject': str(record.subject),
            },
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // Deleted, expired, or touched by another instance: forget the local copy and let the next read decide.
      this.#cache.delete(pk);
      return false;
    }
    this.#cache.set(pk, touched);
    return true;
  }

  /**
   * Ends the session if `principal` owns it, and removes the state documents tied to it. A foreign
   * session is left alone. Takes effect at once on this instance; other instances stop serving it
   * within `cacheTtlSeconds`.
   *
   * @returns `true` when a live session of `principal` was ended; `false` when it was unknown,
   * expired, already deleted or foreign (indistinguishable, like `getSession`).
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async deleteSession(id: string, principal: SessionOwner): Promise<boolean> {
    if (!isOpaqueId(id)) return false;
    const pk = sessionPk(id);
    this.#cache.delete(pk);
    const old = await this.#deleteOwned('DeleteItem', key(pk, SESSION_SK), principal);
    if (old === undefined) return false;
    try {
      await this.#deleteSessionState(id, principal);
    } catch (error) {
      // The session itself is gone, which is what the caller asked for. Its state documents can no
      // longer be reached through a live session and expire with TTL, so a failed cleanup is not an error.
      if (!(error instanceof SessionStoreUnavailableError)) throw error;
    }
    const record = parseSession(old);
    return record !== undefined && isLive(record, this.#clock());
  }

  /**
   * Reads the owner's state document under `key`.
   *
   * @returns the value and its version, or `undefined` when there is none (or it expired).
   * @throws RangeError when `key` is malformed.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async readState(principal: SessionOwner, key: StateKey): Promise<StateDocument | undefined> {
    const itemKey = stateKey(principal, key);
    const { Item } = await this.#call('GetItem', (abortSignal) =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: itemKey, ConsistentRead: true }), {
        abortSignal,
      }),
    );
    if (Item === undefined || !itemOwnedBy(Item, principal) || !itemLive(Item, this.#clock())) return undefined;
    const version = readNumber(Item, A.version);
    const value = readJson(Item);
    if (version === undefined || value === undefined) return undefined;
    return { value: value.parsed, version };
  }

  /**
   * Replaces the owner's state document under `key` if it is still at `expectedVersion` (0 when it
   * should not exist yet), in one conditional write: either the whole document is stored or nothing is.
   * Owner-level documents expire `stateTtlSeconds` after their last write; session-level ones after
   * the session's absolute lifetime.
   *
   * @param value any JSON-serializable value.
   * @returns the new version (`expectedVersion + 1`).
   * @throws StateConflictError when the stored version is not `expectedVersion`.
   * @throws StateTooLargeError when the item would exceed the store's item size limit (checked before writing).
   * @throws TypeError when `value` is not JSON-serializable; RangeError when `key` or `expectedVersion` is malformed.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async writeState(
    principal: SessionOwner,
    key: StateKey,
    value: unknown,
    expectedVersion: number,
  ): Promise<{ version: number }> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a non-negative integer (got ${expectedVersion})`);
    }
    const itemKey = stateKey(principal, key);
    const json = toJson(value);
    const now = this.#clock();
    const lifetimeMs = key.sessionId === undefined ? this.#stateTtlMs : this.#absoluteMs;
    const version = expectedVersion + 1;
    const item: Item = {
      ...itemKey,
      [A.issuer]: str(principal.issuer),
      [A.subject]: str(principal.subject),
      [A.scope]: str(key.scope),
      [A.value]: str(json),
      [A.version]: num(version),
      [A.updatedAt]: num(now),
      [A.expiresAt]: num(Math.ceil((now + lifetimeMs) / 1000)),
    };
    assertFits(item);
    const nowSeconds = Math.floor(now / 1000);
    try {
      await this.#call('PutItem', (abortSignal) =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: item,
            // An expired document that TTL has not removed yet counts as absent.
            ConditionExpression:
              expectedVersion === 0
                ? 'attribute_not_exists(#pk) OR #ttl <= :now'
                : '#version = :expected AND #ttl > :now AND #issuer = :issuer AND #subject = :subject',
            ExpressionAttributeNames:
              expectedVersion === 0
                ? { '#pk': A.pk, '#ttl': A.expiresAt }
                : { '#version': A.version, '#ttl': A.expiresAt, '#issuer': A.issuer, '#subject': A.subject },
            ExpressionAttributeValues:
              expectedVersion === 0
                ? { ':now': num(nowSeconds) }
                : {
                    ':now': num(nowSeconds),
                    ':expected': num(expectedVersion),
                    ':issuer': str(principal.issuer),
                    ':subject': str(principal.subject),
                  },
          }),
          { abortSignal },
        ),
      );
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw new StateConflictError(expectedVersion);
      throw error;
    }
    return { version };
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
  async mintHandle(principal: SessionOwner, kind: string, value: unknown, ttlSeconds: number): Promise<string> {
    if (typeof kind !== 'string' || !KIND_PATTERN.test(kind)) {
      throw new RangeError(`handle kind must match ${KIND_PATTERN.source} (got "${String(kind)}")`);
    }
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > this.#maxHandleTtlSeconds) {
      throw new RangeError(`handle ttlSeconds must be an integer from 1 to ${this.#maxHandleTtlSeconds} (got ${ttlSeconds})`);
    }
    const json = toJson(value);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const handle = newOpaqueId();
      const now = this.#clock();
      const item: Item = {
        ...handleKey(principal, handle),
        [A.issuer]: str(principal.issuer),
        [A.subject]: str(principal.subject),
        [A.kind]: str(kind),
        [A.value]: str(json),
        [A.mintedAt]: num(now),
        [A.expiresAt]: num(Math.ceil(now / 1000) + ttlSeconds),
      };
      assertFits(item);
      if (!(await this.#putIfAbsent(item))) continue;
      return handle;
    }
    throw new Error('could not mint a unique handle');
  }

  /** Writes `item` unless an item with its key exists; returns false when one did (an id collision). */
  async #putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.#call('PutItem', (abortSignal) =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': A.pk },
          }),
          { abortSignal },
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Resolves a handle for `principal`. A handle minted for another owner, unknown, malformed,
   * expired, withdrawn, or of another kind than `kind` (when given) reads as `undefined`.
   *
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async resolveHandle(principal: SessionOwner, handle: string, kind?: string): Promise<ResolvedHandle | undefined> {
    if (!isOpaqueId(handle)) return undefined;
    const { Item } = await this.#call('GetItem', (abortSignal) =>
      this.#client.send(
        new GetItemCommand({ TableName: this.#table, Key: handleKey(principal, handle), ConsistentRead: true }),
        { abortSignal },
      ),
    );
    if (Item === undefined || !itemOwnedBy(Item, principal) || !itemLive(Item, this.#clock())) return undefined;
    const storedKind = readString(Item, A.kind);
    const createdAt = readNumber(Item, A.mintedAt);
    const expiresAt = readNumber(Item, A.expiresAt);
    const value = readJson(Item);
    if (storedKind === undefined || createdAt === undefined || expiresAt === undefined || value === undefined) {
      return undefined;
    }
    if (kind !== undefined && storedKind !== kind) return undefined;
    return { kind: storedKind, value: value.parsed, createdAt, expiresAt };
  }

  /**
   * Withdraws a handle of `principal` (a foreign handle is left alone).
   *
   * @returns whether a live handle of `principal` was withdrawn.
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async deleteHandle(principal: SessionOwner, handle: string): Promise<boolean> {
    if (!isOpaqueId(handle)) return false;
    const old = await this.#deleteOwned('DeleteItem', handleKey(principal, handle), principal);
    return old !== undefined && itemLive(old, this.#clock());
  }

  /**
   * Readiness check: describes the table and requires it to be usable (ACTIVE or UPDATING).
   *
   * @throws SessionStoreUnavailableError when the table does not answer in time or is not usable.
   */
  async ping(): Promise<void> {
    const { Table } = await this.#call('DescribeTable', (abortSignal) =>
      this.#client.send(new DescribeTableCommand({ TableName: this.#table }), { abortSignal }),
    );
    const status = Table?.TableStatus;
    if (status !== 'ACTIVE' && status !== 'UPDATING') {
      throw new SessionStoreUnavailableError('DescribeTable', 'failed', this.#retryAfter('failed'));
    }
  }

  /** Empties the cache and closes the client's connections if the store built the client itself. */
  close(): void {
    this.#cache.clear();
    if (this.#ownsClient) this.#client.destroy();
  }

  /** Deletes the owner's oldest live sessions until one more fits under the cap. */
  async #makeRoomForSession(owner: SessionOwner, ownerId: string): Promise<void> {
    const keep = this.#maxSessionsPerOwner - 1;
    const now = this.#clock();
    const live: Array<{ pk: string; sk: string; createdAt: number }> = [];
    let scanned = 0;
    let startKey: Item | undefined;
    do {
      const exclusiveStartKey = startKey;
      const page = await this.#call('Query', (abortSignal) =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            IndexName: SESSION_TABLE.ownerIndex.name,
            KeyConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': A.owner },
            ExpressionAttributeValues: { ':owner': str(ownerId) },
            ScanIndexForward: true,
            Limit: 100,
            ExclusiveStartKey: exclusiveStartKey,
          }),
          { abortSignal },
        ),
      );
      for (const item of page.Items ?? []) {
        const pk = readString(item, A.pk);
        const sk = readString(item, A.sk);
        const createdAt = readIsoTime(item, A.createdAt);
        if (pk === undefined || sk === undefined || createdAt === undefined) continue;
        // Without the TTL attribute in the index projection, every listed session counts as live.
        const ttl = readNumber(item, A.expiresAt);
        if (ttl !== undefined && ttl * 1000 <= now) continue;
        live.push({ pk, sk, createdAt });
      }
      scanned += page.Items?.length ?? 0;
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && scanned < MAX_OWNER_SCAN);
    if (live.length <= keep) return;
    live.sort((a, b) => a.createdAt - b.createdAt || (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0));
    const oldest = live.slice(0, live.length - keep);
    await Promise.all(
      oldest.map(async (session) => {
        this.#cache.delete(session.pk);
        await this.#deleteOwned('DeleteItem', key(session.pk, session.sk), owner);
      }),
    );
  }

  /** Removes the state documents tied to session `id` (bounded; TTL removes any beyond the bound). */
  async #deleteSessionState(id: string, owner: SessionOwner): Promise<void> {
    const { Items } = await this.#call('Query', (abortSignal) =>
      this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': A.pk, '#sk': A.sk },
          ExpressionAttributeValues: {
            ':pk': str(statePk(owner)),
            ':prefix': str(sessionStatePrefix(id)),
          },
          ProjectionExpression: '#pk, #sk',
          Limit: MAX_SESSION_STATE_CLEANUP,
        }),
        { abortSignal },
      ),
    );
    await Promise.all(
      (Items ?? []).map(async (item) => {
        const pk = readString(item, A.pk);
        const sk = readString(item, A.sk);
        if (pk !== undefined && sk !== undefined) await this.#deleteOwned('DeleteItem', key(pk, sk), owner);
      }),
    );
  }

  /** Deletes an item if `owner` owns it; returns its previous attributes, or `undefined` when none was deleted. */
  async #deleteOwned(operation: string, itemKey: Item, owner: SessionOwner): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.#call(operation, (abortSignal) =>
        this.#client.send(
          new DeleteItemCommand({
            TableName: this.#table,
            Key: itemKey,
            ConditionExpression: '#issuer = :issuer AND #subject = :subject',
            ExpressionAttributeNames: { '#issuer': A.issuer, '#subject': A.subject },
            ExpressionAttributeValues: { ':issuer': str(owner.issuer), ':subject': str(owner.subject) },
            ReturnValues: 'ALL_OLD',
          }),
          { abortSignal },
        ),
      );
      return Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /**
   * Runs one SDK call under the operation deadline. The SDK retries within it; whatever still fails,
   * except a failed condition, becomes `SessionStoreUnavailableError`.
   */
  async #call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#operationTimeoutMs);
    try {
      return await send(controller.signal);
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw error;
      const reason = controller.signal.aborted ? 'timeout' : classifyStoreError(error);
      throw new SessionStoreUnavailableError(operation, reason, this.#retryAfter(reason), error);
    } finally {
      clearTimeout(timer);
    }
  }

  #retryAfter(reason: StoreFailureReason): number {
    const base = reason === 'throttled' ? this.#retryAfterSeconds * 2 : this.#retryAfterSeconds;
    return Math.max(1, Math.round(base * (1 + Math.random())));
  }
}

function sessionPk(id: string): string {
  return `session#${sha256Hex(id)}`;
}

function statePk(owner: SessionOwner): string {
  return `state#${ownerDigest(owner.issuer, owner.subject)}`;
}

function sessionStatePrefix(sessionId: string): string {
  return `session#${sha256Hex(sessionId)}#`;
}

function stateKey(owner: SessionOwner, stateKeyInput: StateKey): Item {
  const { scope, sessionId } = stateKeyInput;
  if (typeof scope !== 'string' || !SCOPE_PATTERN.test(scope)) {
    throw new RangeError(`state scope must match ${SCOPE_PATTERN.source} (got "${String(scope)}")`);
  }
  if (sessionId !== undefined && !isOpaqueId(sessionId)) {
    throw new RangeError('state sessionId must be a session id minted by this store');
  }
  const sk = sessionId === undefined ? `scope#${scope}` : `${sessionStatePrefix(sessionId)}${scope}`;
  return key(statePk(owner), sk);
}

function handleKey(owner: SessionOwner, handle: string): Item {
  return key(`handle#${ownerDigest(owner.issuer, owner.subject)}#${sha256Hex(handle)}`, HANDLE_SK);
}

function key(pk: string, sk: string): Item {
  return { [A.pk]: str(pk), [A.sk]: str(sk) };
}

function str(value: string): AttributeValue {
  return { S: value };
}

function num(value: number): AttributeValue {
  return { N: String(value) };
}

function readString(item: Item, name: string): string | undefined {
  const value = item[name];
  return value?.S;
}

function readNumber(item: Item, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const value = Number(raw);
  return Number.isFinite(value) ? value : undefined;
}

/** Reads an ISO 8601 time string as epoch milliseconds. */
function readIsoTime(item: Item, name: string): number | undefined {
  const raw = readString(item, name);
  if (raw === undefined) return undefined;
  const value = Date.parse(raw);
  return Number.isFinite(value) ? value : undefined;
}

function readJson(item: Item): { parsed: unknown } | undefined {
  const raw = readString(item, A.value);
  if (raw === undefined) return undefined;
  try {
    return { parsed: JSON.parse(raw) as unknown };
  } catch {
    return undefined;
  }
}

function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (typeof json !== 'string') throw new TypeError('the value must be JSON-serializable');
  return json;
}

function assertFits(item: Item): void {
  const size = itemSizeBytes(item);
  if (size > MAX_STORED_ITEM_BYTES) throw new StateTooLargeError(size, MAX_STORED_ITEM_BYTES);
}

function ownedBy(record: Pick<SessionRecord, 'issuer' | 'subject'>, owner: SessionOwner): boolean {
  return record.issuer === owner.issuer && record.subject === owner.subject;
}

function itemOwnedBy(item: Item, owner: SessionOwner): boolean {
  return readString(item, A.issuer) === owner.issuer && readString(item, A.subject) === owner.subject;
}

function itemLive(item: Item, now: number): boolean {
  const ttl = readNumber(item, A.expiresAt);
  return ttl !== undefined && now < ttl * 1000;
}

function isLive(record: SessionRecord, now: number): boolean {
  return now < record.idleExpiresAt && now < record.absoluteExpiresAt;
}

function sessionItem(pk: string, record: SessionRecord): Item {
  return {
    ...key(pk, SESSION_SK),
    [A.owner]: str(record.owner),
    [A.issuer]: str(record.issuer),
    [A.subject]: str(record.subject),
    [A.clientId]: str(record.clientId),
    [A.protocolVersion]: str(record.protocolVersion),
    [A.clientInfo]: str(JSON.stringify(record.clientInfo)),
    [A.createdAt]: str(new Date(record.createdAt).toISOString()),
    [A.lastUsedAt]: num(record.lastUsedAt),
    [A.idleExpiresAt]: num(record.idleExpiresAt),
    [A.absoluteExpiresAt]: num(record.absoluteExpiresAt),
    [A.expiresAt]: num(record.expiresAt),
    [A.version]: num(record.version),
  };
}

/** Reads a session item back; anything malformed reads as absent. */
function parseSession(item: Item): SessionRecord | undefined {
  const owner = readString(item, A.owner);
  const issuer = readString(item, A.issuer);
  const subject = readString(item, A.subject);
  const clientId = readString(item, A.clientId);
  const protocolVersion = readString(item, A.protocolVersion);
  const clientInfoJson = readString(item, A.clientInfo);
  const createdAt = readIsoTime(item, A.createdAt);
  const lastUsedAt = readNumber(item, A.lastUsedAt);
  const idleExpiresAt = readNumber(item, A.idleExpiresAt);
  const absoluteExpiresAt = readNumber(item, A.absoluteExpiresAt);
  const expiresAt = readNumber(item, A.expiresAt);
  const version = readNumber(item, A.version);
  if (
    owner === undefined ||
    issuer === undefined ||
    subject === undefined ||
    clientId === undefined ||
    protocolVersion === undefined ||
    clientInfoJson === undefined ||
    createdAt === undefined ||
    lastUsedAt === undefined ||
    idleExpiresAt === undefined ||
    absoluteExpiresAt === undefined ||
    expiresAt === undefined ||
    version === undefined
  ) {
    return undefined;
  }
  let clientInfo: ClientInfo;
  try {
    clientInfo = boundClientInfo(JSON.parse(clientInfoJson) as ClientInfo);
  } catch {
    return undefined;
  }
  return {
    owner,
    issuer,
    subject,
    clientId,
    protocolVersion,
    clientInfo,
    createdAt,
    lastUsedAt,
    idleExpiresAt,
    absoluteExpiresAt,
    expiresAt,
    version,
  };
}

/** Keeps `name`, `version` and `title` of a client's self-description, each cut to a bounded length. */
function boundClientInfo(info: ClientInfo | undefined): ClientInfo {
  const name = cut(info?.name) ?? 'unknown';
  const version = cut(info?.version) ?? 'unknown';
  const title = cut(info?.title);
  return title === undefined ? { name, version } : { name, version, title };
}

function cut(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  const codePoints = Array.from(value);
  const bounded = codePoints.length > MAX_CLIENT_INFO_FIELD ? codePoints.slice(0, MAX_CLIENT_INFO_FIELD).join('') : value;
  return bounded.replace(LONE_SURROGATE, '\uFFFD');
}

function boundedString(name: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    const shown = typeof value === 'string' ? `${value.length} characters` : typeof value;
    throw new RangeError(`${name} must be a string of 1 to ${maxLength} characters (got ${shown})`);
  }
  return value;
}

function seconds(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number of seconds of at least ${min} (got ${value})`);
  }
  return value;
}

function integer(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${name} must be an integer of at least ${min} (got ${value})`);
  }
  return value;
}
