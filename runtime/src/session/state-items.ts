import { GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from './client.js';
import { SessionEndedError, StateConflictError } from './errors.js';
import { newOpaqueId, isOpaqueId, ownerDigest, sha256Hex, sessionSlotOf } from './ids.js';
import { A, assertFits, itemLive, key, num, readJson, readNumber, readString, str, toJson, type Item } from './items.js';
import { linkToSession } from './session-records.js';
import type { ResolvedHandle, SessionOwner, StateDocument, StateKey } from './store.js';
import type { TableCalls } from './table-calls.js';

const HANDLE_SK = 'handle';
const SCOPE_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
const KIND_PATTERN = /^[A-Za-z0-9_.:-]{1,64}$/;
/** Most session-scoped state documents removed with their session. */
const MAX_SESSION_STATE_CLEANUP = 100;

/** Lifetimes the state and handle items are written with. */
export interface StateLifetimes {
  /** Milliseconds an owner-level document lives after its last write. */
  readonly stateTtlMs: number;
  /** Milliseconds a session-level document lives (the session's absolute lifetime). */
  readonly sessionLifetimeMs: number;
  /** Longest handle lifetime accepted, in seconds. */
  readonly maxHandleTtlSeconds: number;
}

/**
 * Per-user state documents and owner-bound handles: the items of the store that are not sessions.
 * A state document is `pk = state#<owner digest>` with `sk = scope#<scope>` or
 * `session#<sha256(id)>#<scope>`; a handle is `pk = handle#<owner digest>#<sha256(handle)>`. Every
 * item carries its owner's issuer and subject, and every read and conditional write checks them.
 */
export class StateItems {
  constructor(
    private readonly calls: TableCalls,
    private readonly lifetimes: StateLifetimes,
    private readonly clock: () => number,
  ) {}

  /** See `SessionStore.readState`. */
  async read(principal: SessionOwner, stateKeyInput: StateKey): Promise<StateDocument | undefined> {
    const itemKey = stateKey(principal, stateKeyInput);
    const Item = await this.#get(itemKey);
    if (Item === undefined || !itemOwnedBy(Item, principal) || !itemLive(Item, this.clock())) return undefined;
    const version = readNumber(Item, A.version);
    const value = readJson(Item);
    if (version === undefined || value === undefined) return undefined;
    return { value: value.parsed, version };
  }

  /** See `SessionStore.writeState`. */
  async write(principal: SessionOwner, stateKeyInput: StateKey, value: unknown, expectedVersion: number): Promise<{ version: number }> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
      throw new RangeError(`expectedVersion must be a non-negative integer (got ${expectedVersion})`);
    }
    const itemKey = stateKey(principal, stateKeyInput);
    const json = toJson(value);
    const now = this.clock();
    const lifetimeMs = stateKeyInput.sessionId === undefined ? this.lifetimes.stateTtlMs : this.lifetimes.sessionLifetimeMs;
    const version = expectedVersion + 1;
    const item: Item = {
      ...itemKey,
      [A.issuer]: str(principal.issuer),
      [A.subject]: str(principal.subject),
      [A.scope]: str(stateKeyInput.scope),
      [A.value]: str(json),
      [A.version]: num(version),
      [A.updatedAt]: num(now),
      [A.expiresAt]: num(Math.ceil((now + lifetimeMs) / 1000)),
    };
    assertFits(item);
    const nowSeconds = Math.floor(now / 1000);
    const fresh = expectedVersion === 0;
    try {
      await this.calls.call('PutItem', (abortSignal) =>
        this.calls.client.send(
          new PutItemCommand({
            TableName: this.calls.table,
            Item: item,
            // An expired document that TTL has not removed yet counts as absent.
            ConditionExpression: fresh
              ? 'attribute_not_exists(#pk) OR #ttl <= :now'
              : '#version = :expected AND #ttl > :now AND #issuer = :issuer AND #subject = :subject',
            ExpressionAttributeNames: fresh
              ? { '#pk': A.pk, '#ttl': A.expiresAt }
              : { '#version': A.version, '#ttl': A.expiresAt, '#issuer': A.issuer, '#subject': A.subject },
            ExpressionAttributeValues: fresh
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
    // A new session-scoped document marks its session, so that the session's deletion looks for it
    // (see `linkToSession`). A later version needs no mark: its first version made it.
    if (fresh && stateKeyInput.sessionId !== undefined) await this.#linkOrUndo(principal, stateKeyInput.sessionId, itemKey);
    return { version };
  }

  /** Marks the session; when it is gone (or the mark cannot be made), removes the document just created. */
  async #linkOrUndo(principal: SessionOwner, sessionId: string, itemKey: Item): Promise<void> {
    let linked: boolean;
    try {
      linked = await linkToSession(this.calls, principal, sessionId, A.stateLinked);
    } catch (error) {
      await this.calls.deleteOwned(itemKey, principal).catch(() => undefined);
      throw error;
    }
    if (linked) return;
    // The session ended before the mark: its deletion may not have seen this document. If this
    // removal fails too, the document still expires with the session's lifetime.
    await this.calls.deleteOwned(itemKey, principal).catch(() => undefined);
    throw new SessionEndedError();
  }

  /** See `SessionStore.mintHandle`. */
  async mintHandle(principal: SessionOwner, kind: string, value: unknown, ttlSeconds: number): Promise<string> {
    if (typeof kind !== 'string' || !KIND_PATTERN.test(kind)) {
      throw new RangeError(`handle kind must match ${KIND_PATTERN.source} (got "${String(kind)}")`);
    }
    const max = this.lifetimes.maxHandleTtlSeconds;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > max) {
      throw new RangeError(`handle ttlSeconds must be an integer from 1 to ${max} (got ${ttlSeconds})`);
    }
    const json = toJson(value);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const handle = newOpaqueId();
      const now = this.clock();
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
      if (!(await this.calls.putIfAbsent(item))) continue;
      return handle;
    }
    throw new Error('could not mint a unique handle');
  }

  /** See `SessionStore.resolveHandle`. */
  async resolveHandle(principal: SessionOwner, handle: string, kind?: string): Promise<ResolvedHandle | undefined> {
    if (!isOpaqueId(handle)) return undefined;
    const Item = await this.#get(handleKey(principal, handle));
    if (Item === undefined || !itemOwnedBy(Item, principal) || !itemLive(Item, this.clock())) return undefined;
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

  /** See `SessionStore.deleteHandle`. */
  async deleteHandle(principal: SessionOwner, handle: string): Promise<boolean> {
    if (!isOpaqueId(handle)) return false;
    const old = await this.calls.deleteOwned(handleKey(principal, handle), principal);
    return old !== undefined && itemLive(old, this.clock());
  }

  /** Keys of the state documents tied to session `id` (bounded; TTL removes any beyond the bound). */
  async listSessionState(id: string, owner: SessionOwner): Promise<Item[]> {
    const { Items } = await this.calls.call('Query', (abortSignal) =>
      this.calls.client.send(
        new QueryCommand({
          TableName: this.calls.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': A.pk, '#sk': A.sk },
          ExpressionAttributeValues: { ':pk': str(statePk(owner)), ':prefix': str(sessionStatePrefix(id)) },
          ProjectionExpression: '#pk, #sk',
          Limit: MAX_SESSION_STATE_CLEANUP,
        }),
        { abortSignal },
      ),
    );
    const keys: Item[] = [];
    for (const item of Items ?? []) {
      const pk = readString(item, A.pk);
      const sk = readString(item, A.sk);
      if (pk !== undefined && sk !== undefined) keys.push(key(pk, sk));
    }
    return keys;
  }

  /** Deletes the items under `keys` that `owner` owns. */
  async deleteItems(keys: readonly Item[], owner: SessionOwner): Promise<void> {
    await Promise.all(keys.map((itemKey) => this.calls.deleteOwned(itemKey, owner)));
  }

  async #get(itemKey: Item): Promise<Item | undefined> {
    const { Item } = await this.calls.call('GetItem', (abortSignal) =>
      this.calls.client.send(new GetItemCommand({ TableName: this.calls.table, Key: itemKey, ConsistentRead: true }), { abortSignal }),
    );
    return Item;
  }
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
  if (sessionId !== undefined && sessionSlotOf(sessionId) === undefined) {
    throw new RangeError('state sessionId must be a session id minted by this store');
  }
  const sk = sessionId === undefined ? `scope#${scope}` : `${sessionStatePrefix(sessionId)}${scope}`;
  return key(statePk(owner), sk);
}

function handleKey(owner: SessionOwner, handle: string): Item {
  return key(`handle#${ownerDigest(owner.issuer, owner.subject)}#${sha256Hex(handle)}`, HANDLE_SK);
}

function itemOwnedBy(item: Item, owner: SessionOwner): boolean {
  return readString(item, A.issuer) === owner.issuer && readString(item, A.subject) === owner.subject;
}
