/**
 * The one definition of the session table's shape. The runtime's DynamoDB store and the CDK
 * `SessionTable` construct both read it, so key names, the TTL attribute and index names cannot drift.
 */
export const SESSION_TABLE = {
  /**
   * Partition key (string). Items are keyed `<kind>#<…>`: `sessions#<owner digest>` holds an owner's
   * session slots, `state#<owner digest>` its state documents, `handle#<owner digest>#<digest>` a handle,
   * `rate#<digest>` a principal's rate-limit windows ({@link RATE_WINDOW_ITEM}).
   */
  partitionKey: 'pk',
  /** Sort key (string): `slot#<k>` for sessions, `scope#…` / `session#…` for state, `handle` for handles. */
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB TTL may delete the item (deletion is lazy: expiry is also checked on read). */
  ttlAttribute: 'expiresAt',
  /**
   * DynamoDB types of the key attributes, both strings. The table has no secondary index: the
   * per-owner session cap reads the owner's partition, never an index.
   */
  attributeTypes: {
    pk: 'S',
    sk: 'S',
  },
} as const;

/**
 * Items of the fleet-wide per-principal rate limit (`runtime/src/limits/`): one per principal and
 * one-minute window, counting the requests the instances leased, deleted by TTL once the window is
 * over.
 */
export const RATE_WINDOW_ITEM = {
  /** `rate#<sha256 of the principal's owner key>`. */
  partitionKey: (principalDigest: string): string => `rate#${principalDigest}`,
  /** `window#<minutes since the epoch>`. */
  sortKey: (window: number): string => `window#${window}`,
  /** Number attribute: requests leased in the window, across every instance. */
  countAttribute: 'leased',
  /** TTL of the window's item (epoch seconds): two minutes after the window began. */
  expiresAt: (window: number): number => (window + 2) * 60,
} as const;

/**
 * Items of the multi round-trip ledger (`runtime/src/input/`): a consumed `requestState` id, kept
 * until the state would have expired anyway, so a replay is refused on any instance; and one
 * counter per principal and window of the states minted for it, which bounds its pending rounds.
 */
export const REQUEST_STATE_ITEM = {
  /** `rstate#<state id>`: written once with a conditional put when the state is used. */
  usedKey: (stateId: string): string => `rstate#${stateId}`,
  /** Sort key of a consumed state's item. */
  usedSortKey: 'used',
  /** `rstate-mint#<sha256 of the principal's owner key>`. */
  mintKey: (principalDigest: string): string => `rstate-mint#${principalDigest}`,
  /** `window#<window number>` (windows as long as a state lives). */
  mintSortKey: (window: number): string => `window#${window}`,
  /** Number attribute: states minted for the principal in the window. */
  countAttribute: 'minted',
} as const;

/** The DynamoDB actions the runtime's session store uses: the task role is granted exactly these. */
export const SESSION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const;
