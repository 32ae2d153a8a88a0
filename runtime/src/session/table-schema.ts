/**
 * The one definition of the session table's shape. The runtime's DynamoDB store and the CDK
 * `SessionTable` construct both read it, so key names, the TTL attribute and index names cannot drift.
 */
export const SESSION_TABLE = {
  /** Partition key (string). Items are keyed `<kind>#<id>` (for example `session#…`, `handle#…`). */
  partitionKey: 'pk',
  /** Sort key (string). */
  sortKey: 'sk',
  /** Epoch seconds after which DynamoDB TTL may delete the item (deletion is lazy: expiry is also checked on read). */
  ttlAttribute: 'expiresAt',
  /** Global secondary index listing a principal's live items (for the per-owner session cap). */
  ownerIndex: {
    name: 'byOwner',
    partitionKey: 'owner',
    sortKey: 'createdAt',
    /**
     * Attributes copied into the index besides the keys: the cap skips sessions already past their
     * expiry. With a KEYS_ONLY index the store still works, counting expired sessions until TTL removes them.
     */
    nonKeyAttributes: ['expiresAt'],
  },
  /**
   * DynamoDB types of the key attributes above, all strings. `createdAt` holds an ISO 8601 UTC time
   * (`2026-01-31T12:00:00.000Z`), which sorts in time order. Only session items carry `owner` and
   * `createdAt`, so the owner index lists sessions and nothing else.
   */
  attributeTypes: {
    pk: 'S',
    sk: 'S',
    owner: 'S',
    createdAt: 'S',
  },
} as const;

/** The DynamoDB actions the runtime's session store uses: the task role is granted exactly these. */
export const SESSION_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:DescribeTable',
] as const;
