/** Options of the DynamoDB session store, their defaults and their validation. */
import type { SessionStoreClientOptions } from './client.js';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

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
   * Most live sessions one owner may hold (1 to 1296): the number of the owner's session slots. At
   * the cap, a new session replaces the owner's oldest live session (by creation time): see
   * {@link DynamoSessionStore}.
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
   * Seconds this instance trusts what it last saw of an owner's session slots, so that a new
   * session of that owner costs one conditional write instead of a query and a write. A stale view
   * costs a failed write and a fresh read, never a wrong eviction. 0 reads the slots on every
   * creation. Views are bounded by `cacheMaxEntries`.
   * @default 60
   */
  readonly ownerViewTtlSeconds?: number;
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
  ownerViewTtlSeconds: 60,
  stateTtlSeconds: 2_592_000,
  maxHandleTtlSeconds: 86_400,
  operationTimeoutMs: 5000,
  retryAfterSeconds: 2,
} as const;


/** `value` if it is a string of 1 to `maxLength` characters; else a RangeError naming `name`. */
export function boundedString(name: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    const shown = typeof value === 'string' ? `${value.length} characters` : typeof value;
    throw new RangeError(`${name} must be a string of 1 to ${maxLength} characters (got ${shown})`);
  }
  return value;
}

/** `value` if it is a finite number of at least `min` seconds. */
export function seconds(name: string, value: number, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new RangeError(`${name} must be a number of seconds of at least ${min} (got ${value})`);
  }
  return value;
}

/** `value` if it is an integer of at least `min` (and at most `max`). */
export function integer(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new RangeError(`${name} must be an integer ${range} (got ${value})`);
  }
  return value;
}
