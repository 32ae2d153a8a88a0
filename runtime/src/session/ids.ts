import { hash, randomBytes } from 'node:crypto';

/** Bytes of CSPRNG output in every session id and handle (256 bits). */
const OPAQUE_ID_BYTES = 32;
/** 32 bytes in unpadded base64url: 43 characters of `[A-Za-z0-9_-]`. */
const OPAQUE_ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new session id or handle: 32 bytes from `crypto.randomBytes`, base64url without padding. */
export function newOpaqueId(): string {
  return randomBytes(OPAQUE_ID_BYTES).toString('base64url');
}

/** Whether `value` has the shape of an id minted by {@link newOpaqueId} (checked before any store call). */
export function isOpaqueId(value: unknown): value is string {
  return typeof value === 'string' && OPAQUE_ID_PATTERN.test(value);
}

/** Full SHA-256 of `value`, lower-case hex. */
export function sha256Hex(value: string): string {
  return hash('sha256', value, 'hex');
}

/**
 * Digest of an owner's issuer and subject, used inside item keys. Hashing the pair as a JSON array
 * keeps it unambiguous even where an issuer or subject contains the `|` of `ownerKey`, and bounds
 * the key length whatever the token carried.
 */
export function ownerDigest(issuer: string, subject: string): string {
  return sha256Hex(JSON.stringify([issuer, subject]));
}

/** Most slots a session id can name: two base-36 digits. */
export const MAX_SESSION_SLOTS = 36 * 36;
/** 43 characters of CSPRNG output, then the owner slot in two base-36 digits. */
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{43}[0-9a-z]{2}$/;

/**
 * A new session id for owner slot `slot`: 256 bits from the CSPRNG ({@link newOpaqueId}), then the
 * slot in two base-36 digits (45 characters of `[A-Za-z0-9_-]`). The slot is not secret: it only
 * says which of the owner's items to read, and the item holds the SHA-256 of the whole id.
 */
export function newSessionId(slot: number): string {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SESSION_SLOTS) throw new RangeError(`session slot out of range (got ${slot})`);
  return `${newOpaqueId()}${slot.toString(36).padStart(2, '0')}`;
}

/** The owner slot a session id minted by {@link newSessionId} names, or `undefined` for any other value. */
export function sessionSlotOf(value: unknown): number | undefined {
  if (typeof value !== 'string' || !SESSION_ID_PATTERN.test(value)) return undefined;
  return Number.parseInt(value.slice(43), 36);
}

/**
 * A session id whose shape has been checked and whose digests are computed once, by the constructor
 * from the id itself (an instance cannot hold a slot or digest of another id). The endpoint keeps
 * the last one per connection, so a keep-alive client's requests do not digest the same id again;
 * the store still checks liveness, owner, client and expiry on every request.
 */
export class SessionIdKey {
  /** The owner slot the id names. */
  readonly slot: number;
  /** SHA-256 of the whole id: the cache key, and what the slot's item must hold. */
  readonly idHash: string;

  private constructor(
    readonly id: string,
    slot: number,
  ) {
    this.slot = slot;
    this.idHash = sha256Hex(id);
    Object.freeze(this);
  }

  /** The key of `value` if it has the shape of an id minted by {@link newSessionId}; `undefined` otherwise. */
  static of(value: unknown): SessionIdKey | undefined {
    const slot = sessionSlotOf(value);
    return slot === undefined ? undefined : new SessionIdKey(value as string, slot);
  }
}

/** The key of `id`, checked and digested unless it already is one. */
export function sessionIdKey(id: string | SessionIdKey): SessionIdKey | undefined {
  return id instanceof SessionIdKey ? id : SessionIdKey.of(id);
}

/** Whether `value` has the shape of a session id minted by {@link newSessionId} (checked before any lookup). */
export function isSessionId(value: unknown): value is string {
  return sessionSlotOf(value) !== undefined;
}
