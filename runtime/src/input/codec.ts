import { createHash, randomBytes } from 'node:crypto';
import { CompactEncrypt, compactDecrypt } from 'jose';

/**
 * The sealed `requestState` of a multi round-trip request (protocol revision 2026-07-28).
 *
 * `requestState` travels through the client and comes back as attacker-controlled input, so it is
 * sealed with an AEAD: a JWE in compact form with direct encryption (`alg: dir`) under a 256-bit key
 * and AES-256-GCM (`enc: A256GCM`). jose is used rather than `node:crypto` AES-GCM by hand: it
 * fixes the nonce size and generates the nonce, authenticates the protected header, checks the tag
 * length, and the algorithms are pinned on decryption, so there is no framing, nonce or tag
 * handling of our own to get wrong. Encryption (not the SDK's HMAC codec) keeps the contents
 * confidential too: the client learns nothing of the owner, the bound request or the handler's
 * payload. The `kid` header names the key (a digest of it), so keys can be rotated: the first key
 * seals, every configured key opens.
 *
 * What is sealed binds the state to the caller (owner digest and OAuth client id), the method and
 * the request (name and a digest of the arguments), with an expiry and a random id the replay
 * ledger consumes once.
 */

/** Bytes of a request-state key. */
export const REQUEST_STATE_KEY_BYTES = 32;
/** Longest `requestState` accepted: anything longer is refused before decryption. */
export const MAX_REQUEST_STATE_CHARS = 8_192;
/** Largest handler payload (JSON) one state may carry. */
export const MAX_STATE_PAYLOAD_BYTES = 4_096;

/** Thrown when a key is not 32 bytes of base64; the message never holds the key. */
export class RequestStateKeyError extends Error {
  override readonly name = 'RequestStateKeyError';
}

/** What one sealed state carries. */
export interface StateClaims {
  /** Random id (128 bits), consumed once by the replay ledger. */
  readonly id: string;
  /** Expiry, seconds since the epoch. */
  readonly exp: number;
  /** Digest of the owner (issuer and subject). */
  readonly own: string;
  /** The OAuth client the token was issued to. */
  readonly cid: string;
  /** JSON-RPC method (`tools/call`, `prompts/get`, `resources/read`). */
  readonly m: string;
  /** The tool or prompt name, or the resource URI. */
  readonly n: string;
  /** Digest of the request's arguments ({@link argumentsDigest}). */
  readonly d: string;
  /** The platform's confirmation: asked in this round, or given in an earlier one. */
  readonly c?: 'asked' | 'given';
  /** The handler's own payload, when it sealed one. */
  readonly p?: unknown;
}

/** The binding a state is sealed to and checked against. */
export type StateBinding = Pick<StateClaims, 'own' | 'cid' | 'm' | 'n' | 'd'>;

/** Decodes a key from its configuration form (base64 or base64url of exactly 32 bytes). */
export function decodeRequestStateKey(text: string, name = 'MCP_REQUEST_STATE_KEY'): Uint8Array {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) throw new RequestStateKeyError(`${name} must be base64 of exactly ${REQUEST_STATE_KEY_BYTES} bytes`);
  const bytes = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length !== REQUEST_STATE_KEY_BYTES) throw new RequestStateKeyError(`${name} must be base64 of exactly ${REQUEST_STATE_KEY_BYTES} bytes`);
  return new Uint8Array(bytes);
}

/** A fresh random key in its configuration form (base64). */
export function generateRequestStateKey(): string {
  return randomBytes(REQUEST_STATE_KEY_BYTES).toString('base64');
}

function keyId(key: Uint8Array): string {
  return createHash('sha256').update('mcp.requestState.kid').update(key).digest('base64url').slice(0, 11);
}

/** JSON with object keys sorted at every level, so equal values give equal text. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (base64url) of the arguments as canonical JSON: the same arguments in any key order match. */
export function argumentsDigest(args: unknown): string {
  return createHash('sha256').update(canonicalJson(args ?? {})).digest('base64url');
}

/** Seals and opens request states with the configured keys. */
export interface RequestStateCodec {
  /**
   * Seals `claims` (everything but the id and the expiry, which are added here).
   *
   * @throws RangeError when the handler payload is larger than {@link MAX_STATE_PAYLOAD_BYTES}
   */
  seal(claims: Omit<StateClaims, 'id' | 'exp'>): Promise<{ state: string; claims: StateClaims }>;
  /**
   * Opens `state` and checks its expiry and its binding to `expected` (every field but the request,
   * when `expected` omits `n`/`d`). Throws on any failure with a fixed reason that never holds the
   * state or any part of it: `malformed`, `key`, `expired` or `binding`.
   */
  open(state: string, expected: Partial<StateBinding>): Promise<StateClaims>;
}

export interface RequestStateCodecOptions {
  /** Keys, newest first: the first seals, all open. */
  readonly keys: readonly Uint8Array[];
  /** Seconds a state lives. */
  readonly ttlSeconds: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Thrown by {@link RequestStateCodec.open}; the message is one fixed word. */
export class RequestStateRefused extends Error {
  override readonly name = 'RequestStateRefused';
  constructor(readonly reason: 'malformed' | 'key' | 'expired' | 'binding') {
    super(reason);
  }
}

const BINDING_FIELDS = ['own', 'cid', 'm', 'n', 'd'] as const;

function isClaims(value: unknown): value is StateClaims {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const claims = value as Record<string, unknown>;
  return (
    typeof claims.id === 'string' &&
    typeof claims.exp === 'number' &&
    BINDING_FIELDS.every((field) => typeof claims[field] === 'string') &&
    (claims.c === undefined || claims.c === 'asked' || claims.c === 'given')
  );
}

/**
 * The AEAD codec for `requestState` (see the module comment for the format and why).
 *
 * @throws RequestStateKeyError when no key is given or a key is not 32 bytes
 */
export function createRequestStateCodec(options: RequestStateCodecOptions): RequestStateCodec {
  if (options.keys.length === 0) throw new RequestStateKeyError('at least one request-state key is required');
  for (const key of options.keys) if (key.length !== REQUEST_STATE_KEY_BYTES) throw new RequestStateKeyError(`a request-state key must be ${REQUEST_STATE_KEY_BYTES} bytes`);
  const keys = new Map(options.keys.map((key) => [keyId(key), key] as const));
  const sealing = options.keys[0]!;
  const sealingId = keyId(sealing);
  const now = options.now ?? Date.now;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  return {
    async seal(partial) {
      if (partial.p !== undefined && encoder.encode(JSON.stringify(partial.p)).length > MAX_STATE_PAYLOAD_BYTES) {
        throw new RangeError(`a request-state payload must be at most ${MAX_STATE_PAYLOAD_BYTES} bytes of JSON`);
      }
      const claims: StateClaims = { ...partial, id: randomBytes(16).toString('base64url'), exp: Math.floor(now() / 1000) + options.ttlSeconds };
      const state = await new CompactEncrypt(encoder.encode(JSON.stringify(claims)))
        .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: sealingId })
        .encrypt(sealing);
      return { state, claims };
    },

    async open(state, expected) {
      if (typeof state !== 'string' || state.length === 0 || state.length > MAX_REQUEST_STATE_CHARS) throw new RequestStateRefused('malformed');
      let plaintext: Uint8Array;
      try {
        plaintext = (
          await compactDecrypt(state, (header) => {
            const key = typeof header.kid === 'string' ? keys.get(header.kid) : undefined;
            if (!key) throw new RequestStateRefused('key');
            return key;
          }, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] })
        ).plaintext;
      } catch (error) {
        throw error instanceof RequestStateRefused ? error : new RequestStateRefused('malformed');
      }
      let claims: unknown;
      try {
        claims = JSON.parse(decoder.decode(plaintext));
      } catch {
        throw new RequestStateRefused('malformed');
      }
      if (!isClaims(claims)) throw new RequestStateRefused('malformed');
      if (claims.exp <= Math.floor(now() / 1000)) throw new RequestStateRefused('expired');
      for (const field of BINDING_FIELDS) {
        const want = expected[field];
        if (want !== undefined && claims[field] !== want) throw new RequestStateRefused('binding');
      }
      return claims;
    },
  };
}
