import type { Principal } from '../auth/principal.js';
import type { LogLevel } from '../logging/index.js';
import type { SessionIdKey } from './ids.js';

/** The part of a principal that owns sessions, handles and state: issuer and subject, compared exactly. */
export type SessionOwner = Pick<Principal, 'issuer' | 'subject'>;

/** Who presents a session: the owner and the OAuth client of the request's token, all compared exactly. */
export type SessionCaller = Pick<Principal, 'issuer' | 'subject' | 'clientId'>;

/** What an MCP client said about itself in `initialize` (stored bounded: see {@link DynamoSessionStore}). */
export interface ClientInfo {
  readonly name: string;
  readonly version: string;
  readonly title?: string;
}

/**
 * The input kinds a 2025-era client declared in `initialize` (`capabilities.elicitation`, `.sampling`,
 * `.roots`), kept so that every later request of the session knows what the client may be asked.
 * Only these three and their known sub-keys are stored; every value is `{}` or a boolean.
 */
export interface InputCapabilities {
  readonly elicitation?: { readonly form?: Record<string, never>; readonly url?: Record<string, never> };
  readonly sampling?: { readonly context?: Record<string, never>; readonly tools?: Record<string, never> };
  readonly roots?: { readonly listChanged?: boolean };
}

/** What `initialize` tells the store about a new legacy-era session. */
export interface NewSession {
  /** OAuth client the token was issued to. Defaults to the principal's `clientId`. */
  readonly clientId?: string;
  /** Negotiated MCP protocol revision, e.g. `2025-06-18`. At most 64 characters. */
  readonly protocolVersion: string;
  /** The client's `clientInfo`; names longer than 256 characters are cut, other fields dropped. */
  readonly clientInfo?: ClientInfo;
  /** What the client may be asked for (see {@link InputCapabilities}); anything else it declared is dropped. */
  readonly clientCapabilities?: unknown;
}

/**
 * A stored legacy-era session. Times ending in `At` are epoch milliseconds, except `expiresAt`, the
 * DynamoDB TTL attribute, which is epoch seconds.
 */
export interface SessionRecord {
  /** `ownerKey(principal)`: `<issuer>|<subject>`. */
  readonly owner: string;
  /** Issuer of the owner, compared exactly on every read. */
  readonly issuer: string;
  /** Subject of the owner, compared exactly on every read. */
  readonly subject: string;
  /** OAuth client that opened the session: only tokens of this client may use it. */
  readonly clientId: string;
  readonly protocolVersion: string;
  readonly clientInfo: ClientInfo;
  /** The input kinds the client declared in `initialize`; `{}` for sessions stored before they were kept. */
  readonly clientCapabilities: InputCapabilities;
  /** Creation time (stored as an ISO 8601 string); the oldest live session gives way at the cap. */
  readonly createdAt: number;
  /** Last recorded use. Written at most once per touch interval, so it may lag by that much. */
  readonly lastUsedAt: number;
  /** End of the session if it stays unused; moved by `touchSession`, never past `absoluteExpiresAt`. */
  readonly idleExpiresAt: number;
  /** End of the session whatever its use. */
  readonly absoluteExpiresAt: number;
  /** TTL attribute (epoch seconds): the earlier of the two expiries, rounded up. */
  readonly expiresAt: number;
  /** Incremented by every write to the record. */
  readonly version: number;
  /** The level the client asked for with `logging/setLevel`; absent until it asks (then no logs are sent). */
  readonly logLevel?: LogLevel;
}

/** A session just minted: the id goes to the client in `Mcp-Session-Id`, and never into a log. */
export interface CreatedSession {
  readonly id: string;
  readonly record: SessionRecord;
}

/**
 * Which state document: one per owner and scope (usually a tool name), optionally narrowed to one
 * legacy session. A `sessionId` narrows the slot; it never widens access: the owner is always part of the key.
 */
export interface StateKey {
  /** `^[A-Za-z0-9_.:-]{1,128}$`, e.g. the tool's name. */
  readonly scope: string;
  /**
   * Ties the document to one live session of the owner; it goes when the session is deleted and
   * otherwise expires with the session's absolute lifetime.
   */
  readonly sessionId?: string;
}

/** A stored state document and the version a writer must name to replace it. */
export interface StateDocument {
  readonly value: unknown;
  readonly version: number;
}

/** A resolved handle: what it stands for and until when. */
export interface ResolvedHandle {
  readonly kind: string;
  readonly value: unknown;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  /** Epoch seconds after which the handle no longer resolves. */
  readonly expiresAt: number;
}

/**
 * Durable sessions, cross-call handles and per-user state, shared by every instance in a region
 * (and, through global-table replication, eventually by every region). Every read is owner-checked:
 * an id or handle of someone else reads as absent, exactly like an unknown one.
 *
 * Every method may throw `SessionStoreUnavailableError` when the backing store does not answer in
 * time; the operation then wrote nothing.
 */
export interface SessionStore {
  /** Mints a legacy-era session for `principal`, replacing its oldest live session at the per-owner cap. */
  createSession(principal: SessionCaller, init: NewSession): Promise<CreatedSession>;
  /**
   * The live session `id` if `principal` owns it and its token is of the client that opened it;
   * `undefined` when unknown, expired, deleted, foreign or another client's.
   */
  getSession(id: string | SessionIdKey, principal: SessionCaller): Promise<SessionRecord | undefined>;
  /** Records use of a session just read with `getSession`; writes at most once per touch interval. Returns whether it wrote. */
  touchSession(id: string | SessionIdKey, record: SessionRecord): Promise<boolean>;
  /**
   * Records the client's `logging/setLevel` in the session if `principal` may use it (owner and
   * client) and it is live; returns whether it did. Every later request of the session reads it with the record.
   */
  setLogLevel(id: string | SessionIdKey, principal: SessionCaller, level: LogLevel): Promise<boolean>;
  /** Ends the session if `principal` owns it (same client too) and it is live; returns whether it did. */
  deleteSession(id: string | SessionIdKey, principal: SessionCaller): Promise<boolean>;
  /** The owner's state document under `key`, or `undefined`. */
  readState(principal: SessionOwner, key: StateKey): Promise<StateDocument | undefined>;
  /** Replaces the owner's state document if it is still at `expectedVersion` (0 when new). */
  writeState(principal: SessionOwner, key: StateKey, value: unknown, expectedVersion: number): Promise<{ version: number }>;
  /** Stores `value` behind a new unguessable handle owned by `principal` for `ttlSeconds`. */
  mintHandle(principal: SessionOwner, kind: string, value: unknown, ttlSeconds: number): Promise<string>;
  /** What `handle` stands for, if `principal` minted it, it has not expired, and (when given) its kind is `kind`. */
  resolveHandle(principal: SessionOwner, handle: string, kind?: string): Promise<ResolvedHandle | undefined>;
  /** Withdraws a handle of `principal`; returns whether one was live. */
  deleteHandle(principal: SessionOwner, handle: string): Promise<boolean>;
  /** Readiness: resolves when the table answers and is usable. */
  ping(): Promise<void>;
  /** Releases the connections the store opened itself. */
  close(): void;
}
