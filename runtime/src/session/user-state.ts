import type { UserStateAccess } from '../tools/definition.js';
import type { SessionOwner, SessionStore, StateKey } from './store.js';

/**
 * Binds a store, an owner and a state key into the `UserStateAccess` a tool handler receives as
 * `ctx.state`. The owner comes from the verified principal of the request, never from the tool.
 *
 * @example
 * const state = userStateAccess(store, principal, { scope: tool.name });
 * const current = await state.read();
 * await state.write({ count: 1 }, current?.version ?? 0);
 */
export function userStateAccess(
  store: Pick<SessionStore, 'readState' | 'writeState'>,
  principal: SessionOwner,
  key: StateKey,
): UserStateAccess {
  return {
    read: () => store.readState(principal, key),
    write: (value, expectedVersion) => store.writeState(principal, key, value, expectedVersion),
  };
}

/** Owner-bound handles as a tool context offers them (structurally the tools' `HandleAccess`). */
export interface OwnerHandleAccess {
  /** Stores `value` behind a new unguessable handle owned by the caller. */
  mint(kind: string, value: unknown, ttlSeconds: number): Promise<string>;
  /** The value behind `handle` if the caller minted it, it is live and of `kind`; else `undefined`. */
  resolve(handle: string, kind: string): Promise<unknown>;
}

/**
 * Binds a store and an owner into handle access for a tool context: every mint is owned by
 * `principal`, and every resolve is re-checked against it.
 *
 * @example
 * const cursor = await handleAccess(store, principal).mint('cursor', { page: 2 }, 600);
 */
export function handleAccess(
  store: Pick<SessionStore, 'mintHandle' | 'resolveHandle'>,
  principal: SessionOwner,
): OwnerHandleAccess {
  return {
    mint: (kind, value, ttlSeconds) => store.mintHandle(principal, kind, value, ttlSeconds),
    resolve: async (handle, kind) => (await store.resolveHandle(principal, handle, kind))?.value,
  };
}
