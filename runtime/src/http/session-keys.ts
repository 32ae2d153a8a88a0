import type { IdentifierHash } from '../observability/index.js';
import { SessionIdKey } from '../session/index.js';

/** A session id as a request names it: its store key and its pseudonym for the access log. */
export interface NamedSession {
  readonly key: SessionIdKey;
  readonly logHash: IdentifierHash;
}

/**
 * Remembers, per keep-alive connection, the last session id its requests named, with the id's store
 * key (shape checked, SHA-256 computed) and its access-log pseudonym, so that a client sending many
 * requests on one connection does not check and digest the same id on each. Both are pure functions
 * of the id, and one is reused only for exactly the same id string: what is checked is unchanged.
 * Nothing here says the session is live or whose it is; the store decides that on every request.
 * Held only while the connection lives (a WeakMap on the socket, like the token verifier's).
 */
export class SessionKeys {
  readonly #byConnection = new WeakMap<object, NamedSession>();

  constructor(private readonly hash: (value: string) => IdentifierHash) {}

  /** The key and pseudonym of `id`, or `undefined` when it is not shaped like an id this kit mints. */
  of(id: string, connection: object | undefined): NamedSession | undefined {
    const last = connection === undefined ? undefined : this.#byConnection.get(connection);
    if (last !== undefined && last.key.id === id) return last;
    const key = SessionIdKey.of(id);
    if (key === undefined) return undefined;
    const named: NamedSession = { key, logHash: this.hash(id) };
    if (connection !== undefined) this.#byConnection.set(connection, named);
    return named;
  }
}
