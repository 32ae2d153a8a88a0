import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from '../session/client.js';
import { sha256Hex } from '../session/ids.js';
import { RATE_WINDOW_ITEM, SESSION_TABLE } from '../session/table-schema.js';

/** Length of a rate-limit window: the limit is per principal per minute. */
export const RATE_WINDOW_MS = 60_000;

/**
 * Thrown by {@link FleetRateLimiter.take} when more budget is needed and the shared counter did not
 * answer in time (or recently failed). The request is refused (fail closed for the limit); the
 * principal has not necessarily exceeded its limit.
 */
export class RateLimitUnavailableError extends Error {
  override readonly name = 'RateLimitUnavailableError';

  constructor(
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super('the shared rate-limit counter is unavailable', options);
  }
}

/** Options of {@link FleetRateLimiter}. */
export interface FleetRateLimiterOptions {
  /** DynamoDB client for the session table. */
  readonly client: DynamoDBClient;
  /** The session table. */
  readonly tableName: string;
  /** Requests per principal per minute, across every instance. */
  readonly perMinute: number;
  /**
   * Requests one instance takes from the shared counter at a time (one conditional write). Larger
   * leases cost fewer writes; unused leased requests are lost to the principal for the window.
   * @default - 5 % of `perMinute`, at least 1
   */
  readonly leaseSize?: number;
  /**
   * Milliseconds a lease write may take before the requests waiting for it are refused.
   * @default 1000
   */
  readonly storeDeadlineMs?: number;
  /**
   * Milliseconds after a failed lease write during which no other is attempted (requests that need
   * budget are refused at once, so a slow store does not pile up waiting requests).
   * @default 1000
   */
  readonly failureBackoffMs?: number;
  /** Principals whose windows are kept in memory; the oldest is dropped first (its unused lease is lost). @default 50000 */
  readonly maxKeys?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

interface WindowShare {
  readonly window: number;
  /** Requests of this window this instance leased from the shared counter. */
  granted: number;
  /** Requests of this window this instance admitted. */
  used: number;
  /**
   * The smallest number of requests the shared counter refused to lease in this window: a request
   * needing that many or more is refused without asking again (1: the window is spent fleet-wide).
   */
  refusedFrom: number;
  /** The lease write in flight, which every request of this principal that needs budget waits for. */
  pending?: Promise<void>;
}

/**
 * A per-principal request limit that holds across the fleet: a fixed one-minute window (aligned to
 * the clock minute on every instance) counted in one item of the session table per principal and
 * window (`pk = rate#<sha256(principal)>`, `sk = window#<minute>`, TTL two minutes on).
 *
 * Each instance takes leases of the budget with a conditional `UpdateItem … ADD` that succeeds only
 * while the leased total stays within the limit, and admits requests from its lease locally, so
 * most requests cost no write. Fleet-wide, a principal is never admitted more than `perMinute`
 * requests in a window; it may be refused up to `leaseSize × (instances − 1)` requests early when
 * its requests spread over instances and leases sit unused.
 *
 * When the counter is slow or down, requests covered by a lease are still admitted; a request that
 * needs a new lease waits at most `storeDeadlineMs` and is then refused with
 * {@link RateLimitUnavailableError} (fail closed), and for `failureBackoffMs` no new lease is tried.
 * Authentication does not depend on it.
 */
export class FleetRateLimiter {
  readonly #options: Required<Omit<FleetRateLimiterOptions, 'client' | 'tableName'>>;
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #shares = new Map<string, WindowShare>();
  #unavailableUntil = 0;

  constructor(options: FleetRateLimiterOptions) {
    if (!Number.isInteger(options.perMinute) || options.perMinute < 1) throw new RangeError(`perMinute must be a positive integer (got ${options.perMinute})`);
    this.#client = options.client;
    this.#table = options.tableName;
    this.#options = {
      perMinute: options.perMinute,
      leaseSize: Math.min(options.perMinute, Math.max(1, options.leaseSize ?? Math.ceil(options.perMinute / 20))),
      storeDeadlineMs: options.storeDeadlineMs ?? 1000,
      failureBackoffMs: options.failureBackoffMs ?? 1000,
      maxKeys: options.maxKeys ?? 50_000,
      now: options.now ?? Date.now,
    };
  }

  /**
   * Counts `count` requests of principal `key` (each message of a batch counts).
   * @returns 0 when they are admitted, else the seconds until the principal's window ends (none is counted).
   * @throws RateLimitUnavailableError when budget was needed and the shared counter did not answer.
   */
  async take(key: string, count = 1): Promise<number> {
    // Each round either admits, refuses, or waits for a lease that adds budget (or ends the window),
    // so a few rounds suffice even when many requests wait for one lease.
    for (let round = 0; round < 8; round++) {
      const now = this.#options.now();
      const share = this.#shareOf(key, Math.floor(now / RATE_WINDOW_MS));
      if (share.used + count <= share.granted) {
        share.used += count;
        return 0;
      }
      const needed = share.used + count - share.granted;
      if (needed >= share.refusedFrom || count > this.#options.perMinute) return secondsUntilWindowEnds(share.window, now);
      if (now < this.#unavailableUntil) throw new RateLimitUnavailableError(1);
      share.pending ??= this.#lease(key, share, needed).finally(() => {
        share.pending = undefined;
      });
      await share.pending;
    }
    throw new RateLimitUnavailableError(1);
  }

  /** Principals with a window in memory (for leak checks). */
  get size(): number {
    return this.#shares.size;
  }

  #shareOf(key: string, window: number): WindowShare {
    const existing = this.#shares.get(key);
    if (existing && existing.window === window) return existing;
    if (existing) this.#shares.delete(key);
    else if (this.#shares.size >= this.#options.maxKeys) this.#shares.delete(this.#shares.keys().next().value!);
    const share: WindowShare = { window, granted: 0, used: 0, refusedFrom: Number.POSITIVE_INFINITY };
    this.#shares.set(key, share);
    return share;
  }

  /** Leases at least `needed` requests for `share`: a full lease if the counter allows, else exactly `needed`. */
  async #lease(key: string, share: WindowShare, needed: number): Promise<void> {
    const sizes = [...new Set([Math.max(needed, this.#options.leaseSize), needed])];
    for (const size of sizes) {
      if (await this.#write(key, share.window, size)) {
        share.granted += size;
        return;
      }
    }
    share.refusedFrom = Math.min(share.refusedFrom, needed);
  }

  /** Adds `size` to the principal's window counter unless that takes it past the limit; false when it would. */
  async #write(key: string, window: number, size: number): Promise<boolean> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.#options.storeDeadlineMs);
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [SESSION_TABLE.partitionKey]: { S: RATE_WINDOW_ITEM.partitionKey(sha256Hex(key)) }, [SESSION_TABLE.sortKey]: { S: RATE_WINDOW_ITEM.sortKey(window) } },
          UpdateExpression: 'ADD #count :size SET #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#count) OR #count <= :most',
          ExpressionAttributeNames: { '#count': RATE_WINDOW_ITEM.countAttribute, '#ttl': SESSION_TABLE.ttlAttribute },
          ExpressionAttributeValues: {
            ':size': { N: String(size) },
            ':most': { N: String(this.#options.perMinute - size) },
            ':ttl': { N: String(RATE_WINDOW_ITEM.expiresAt(window)) },
          },
        }),
        { abortSignal: controller.signal },
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      this.#unavailableUntil = this.#options.now() + this.#options.failureBackoffMs;
      throw new RateLimitUnavailableError(Math.max(1, Math.ceil(this.#options.failureBackoffMs / 1000)), { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}

function secondsUntilWindowEnds(window: number, now: number): number {
  return Math.max(1, Math.ceil(((window + 1) * RATE_WINDOW_MS - now) / 1000));
}
