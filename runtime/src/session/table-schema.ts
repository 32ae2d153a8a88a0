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
