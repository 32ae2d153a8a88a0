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
