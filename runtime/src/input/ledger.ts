import { UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from '../session/client.js';
import { TableCalls } from '../session/table-calls.js';
import { REQUEST_STATE_ITEM, SESSION_TABLE } from '../session/table-schema.js';

/**
 * The shared record that makes a `requestState` single-use and bounds the rounds a principal may
 * have pending. Both answers come from the session table, so they hold across every instance.
 */
export interface RequestStateLedger {
  /**
   * Marks state `id` used. Resolves `true` the first time, `false` for every later attempt (a
   * replay), on whichever instance it arrives.
   *
   * @param expiresAt - the state's own expiry (epoch seconds): the mark is kept until then
   */
  consume(id: string, expiresAt: number): Promise<boolean>;
  /**
   * Counts one more state minted for `principalDigest` in the current window. Resolves `false`,
   * counting nothing, when the principal already has `limit` in this window.
   */
  admitMint(principalDigest: string): Promise<boolean>;
}

export interface LedgerOptions {
  /** Seconds a state lives: the length of a mint window too. */
  readonly ttlSeconds: number;
  /** States one principal may have minted per window. */
  readonly perPrincipal: number;
  /** Clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** Milliseconds a ledger write may take before the round is refused (fails closed). */
const LEDGER_DEADLINE_MS = 2_000;

/**
 * The ledger in the session table: a consumed state is a conditional `PutItem` of
 * `rstate#<id>` (refused when it exists, so exactly one use succeeds fleet-wide), kept by TTL until
 * the state's expiry; the mint count is a conditional `UpdateItem … ADD` on
 * `rstate-mint#<principal digest>` / `window#<n>`, windows as long as a state lives. A principal
 * therefore has at most `perPrincipal` states minted per window, and at most twice that alive.
 * Store failures reject (the caller refuses the round).
 */
export function dynamoLedger(client: DynamoDBClient, tableName: string, options: LedgerOptions): RequestStateLedger {
  const now = options.now ?? Date.now;
  const table = new TableCalls(client, tableName, LEDGER_DEADLINE_MS, 1);
  return {
    consume: (id, expiresAt) =>
      table.putIfAbsent({
        [SESSION_TABLE.partitionKey]: { S: REQUEST_STATE_ITEM.usedKey(id) },
        [SESSION_TABLE.sortKey]: { S: REQUEST_STATE_ITEM.usedSortKey },
        [SESSION_TABLE.ttlAttribute]: { N: String(expiresAt + 60) },
      }),

    async admitMint(principalDigest) {
      const window = Math.floor(now() / 1000 / options.ttlSeconds);
      try {
        await table.call('UpdateItem', (abortSignal) =>
          client.send(
            new UpdateItemCommand({
              TableName: tableName,
              Key: {
                [SESSION_TABLE.partitionKey]: { S: REQUEST_STATE_ITEM.mintKey(principalDigest) },
                [SESSION_TABLE.sortKey]: { S: REQUEST_STATE_ITEM.mintSortKey(window) },
              },
              UpdateExpression: 'ADD #count :one SET #ttl = :ttl',
              ConditionExpression: 'attribute_not_exists(#count) OR #count < :most',
              ExpressionAttributeNames: { '#count': REQUEST_STATE_ITEM.countAttribute, '#ttl': SESSION_TABLE.ttlAttribute },
              ExpressionAttributeValues: {
                ':one': { N: '1' },
                ':most': { N: String(options.perPrincipal) },
                ':ttl': { N: String((window + 2) * options.ttlSeconds) },
              },
            }),
            { abortSignal },
          ),
        );
        return true;
      } catch (error) {
        if (isConditionalCheckFailed(error)) return false;
        throw error;
      }
    },
  };
}

/**
 * A ledger inside one process, for a server whose session table is not reachable from here (a
 * caller that brings its own session store without client options). Single use and the bound then
 * hold per instance only. Bounded: at most `maxEntries` consumed ids are kept, the oldest dropped
 * first (an id dropped before its state expired could be used once more, so keep it well above the
 * rounds one instance sees in a state's lifetime).
 */
export function memoryLedger(options: LedgerOptions & { readonly maxEntries?: number }): RequestStateLedger {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 100_000;
  const used = new Map<string, number>();
  const mints = new Map<string, { window: number; count: number }>();
  const trim = <K, V>(map: Map<K, V>) => {
    while (map.size > maxEntries) map.delete(map.keys().next().value as K);
  };
  return {
    async consume(id, expiresAt) {
      const seconds = now() / 1000;
      const seen = used.get(id);
      if (seen !== undefined && seen > seconds) return false;
      used.set(id, expiresAt);
      trim(used);
      return true;
    },
    async admitMint(principalDigest) {
      const window = Math.floor(now() / 1000 / options.ttlSeconds);
      const entry = mints.get(principalDigest);
      const count = entry && entry.window === window ? entry.count : 0;
      if (count >= options.perPrincipal) return false;
      mints.delete(principalDigest);
      mints.set(principalDigest, { window, count: count + 1 });
      trim(mints);
      return true;
    },
  };
}
