/**
 * A least-recently-used map with a hard entry limit and a per-entry time to live. It never holds
 * more than `maxEntries` values, and an entry older than `ttlMs` is never returned. A limit or TTL
 * of 0 turns the cache off (every `get` misses and `set` stores nothing).
 */
export class BoundedTtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(maxEntries: number, ttlMs: number, clock: () => number = Date.now) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new RangeError(`cache maxEntries must be a non-negative integer (got ${maxEntries})`);
    }
    if (!Number.isFinite(ttlMs) || ttlMs < 0) {
      throw new RangeError(`cache ttl must be a non-negative number of milliseconds (got ${ttlMs})`);
    }
    this.#maxEntries = maxEntries;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  /** Whether the cache stores anything at all. */
  get enabled(): boolean {
    return this.#maxEntries > 0 && this.#ttlMs > 0;
  }

  /** Number of entries held now (expired ones included until they are touched or pushed out). */
  get size(): number {
    return this.#entries.size;
  }

  /** The value stored under `key` if it is younger than the TTL; marks it most recently used. */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#clock()) return undefined;
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` under `key`, pushing out the least recently used entries beyond the limit. */
  set(key: string, value: V): void {
    if (!this.enabled) return;
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.#clock() + this.#ttlMs });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  /** Forgets `key`. */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
  }
}
