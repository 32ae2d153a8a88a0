import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SESSION_TABLE } from '../session/table-schema.js';

/** The store could not be reached or answered with an error: the flow step fails with `temporarily_unavailable`. */
export class AuthzStoreUnavailableError extends Error {
  override readonly name = 'AuthzStoreUnavailableError';
}

/** Kinds of sign-in items. Each is keyed `authz#<kind>#<id>`, where secrets are stored by SHA-256 only. */
export type AuthzItemKind = 'client' | 'flow' | 'code' | 'consent' | 'browser' | 'refresh' | 'family' | 'grant' | 'manage';

/** Most items {@link AuthzStore.list} reads from one partition (a user's consents, one client's refresh families). */
export const MAX_LISTED_ITEMS = 200;

/** SHA-256 (base64url) of a secret value: the table never holds a usable code, token or cookie. */
export function digest(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}

/**
 * The authorization server's state in the session table (same keys, same TTL attribute, no index
 * entries), so any instance in any region serves any step. Every read is consistent and checks the
 * expiry itself (DynamoDB TTL deletion is lazy).
 */
export class AuthzStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(options: { client: DynamoDBClient; tableName: string; now?: () => number }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  #key(kind: AuthzItemKind, id: string, sort: string): Record<string, AttributeValue> {
    return { [SESSION_TABLE.partitionKey]: { S: `authz#${kind}#${id}` }, [SESSION_TABLE.sortKey]: { S: sort } };
  }

  #live<T>(item: Record<string, AttributeValue> | undefined): T | undefined {
    if (!item) return undefined;
    const expires = Number(item[SESSION_TABLE.ttlAttribute]?.N ?? 0);
    if (expires * 1000 <= this.#now()) return undefined;
    const data = item.data?.S;
    return data === undefined ? undefined : (JSON.parse(data) as T);
  }

  async #send<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw new AuthzStoreUnavailableError('the sign-in store is unavailable', { cause: error });
    }
  }

  /** Epoch seconds `seconds` from now. */
  expiry(seconds: number): number {
    return Math.floor(this.#now() / 1000) + seconds;
  }

  /**
   * Writes an item that lives until `expiresAt` (epoch seconds).
   *
   * @param ifAbsent - refuse to overwrite a live item with the same key.
   * @returns false when `ifAbsent` was set and the item already existed.
   */
  async put(kind: AuthzItemKind, id: string, data: unknown, expiresAt: number, options: { sort?: string; ifAbsent?: boolean } = {}): Promise<boolean> {
    try {
      await this.#send(() =>
        this.#client.send(
          new PutItemCommand({
            TableName: this.#table,
            Item: {
              ...this.#key(kind, id, options.sort ?? kind),
              data: { S: JSON.stringify(data) },
              [SESSION_TABLE.ttlAttribute]: { N: String(expiresAt) },
            },
            ...(options.ifAbsent
              ? {
                  ConditionExpression: 'attribute_not_exists(#pk) OR #exp <= :now',
                  ExpressionAttributeNames: { '#pk': SESSION_TABLE.partitionKey, '#exp': SESSION_TABLE.ttlAttribute },
                  ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.#now() / 1000)) } },
                }
              : {}),
          }),
        ),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Reads a live item, or `undefined`. */
  async get<T>(kind: AuthzItemKind, id: string, sort: string = kind): Promise<T | undefined> {
    const out = await this.#send(() =>
      this.#client.send(new GetItemCommand({ TableName: this.#table, Key: this.#key(kind, id, sort), ConsistentRead: true })),
    );
    return this.#live<T>(out.Item);
  }

  /**
   * Deletes an item and returns what it held, atomically: of two concurrent takes (on any
   * instances) exactly one gets the item. This is what makes codes and flow states single-use.
   */
  async take<T>(kind: AuthzItemKind, id: string, sort: string = kind): Promise<T | undefined> {
    try {
      const out = await this.#send(() =>
        this.#client.send(
          new DeleteItemCommand({
            TableName: this.#table,
            Key: this.#key(kind, id, sort),
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': SESSION_TABLE.partitionKey },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return this.#live<T>(out.Attributes);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /**
   * Marks a live item used, atomically, and returns what it held; `'used'` when it was marked
   * before (a replay), `undefined` when there is no live item. Refresh-token rotation rests on this.
   */
  async markUsed<T>(kind: AuthzItemKind, id: string, sort: string = kind): Promise<T | 'used' | undefined> {
    try {
      const out = await this.#send(() =>
        this.#client.send(
          new UpdateItemCommand({
            TableName: this.#table,
            Key: this.#key(kind, id, sort),
            UpdateExpression: 'SET usedAt = :now',
            ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(usedAt)',
            ExpressionAttributeNames: { '#pk': SESSION_TABLE.partitionKey },
            ExpressionAttributeValues: { ':now': { N: String(Math.floor(this.#now() / 1000)) } },
            ReturnValues: 'ALL_OLD',
          }),
        ),
      );
      return this.#live<T>(out.Attributes);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const existing = await this.#send(() =>
        this.#client.send(new GetItemCommand({ TableName: this.#table, Key: this.#key(kind, id, sort), ConsistentRead: true })),
      );
      return this.#live(existing.Item) === undefined ? undefined : 'used';
    }
  }

  /**
   * The live items of one partition (`authz#<kind>#<id>`, every sort key), oldest sort key first,
   * at most {@link MAX_LISTED_ITEMS}: a user's consents, the refresh families of a user and client.
   */
  async list<T>(kind: AuthzItemKind, id: string): Promise<Array<{ sort: string; data: T }>> {
    const found: Array<{ sort: string; data: T }> = [];
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#send(() =>
        this.#client.send(
          new QueryCommand({
            TableName: this.#table,
            KeyConditionExpression: '#pk = :pk',
            ExpressionAttributeNames: { '#pk': SESSION_TABLE.partitionKey },
            ExpressionAttributeValues: { ':pk': { S: `authz#${kind}#${id}` } },
            ConsistentRead: true,
            Limit: MAX_LISTED_ITEMS - found.length,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      for (const item of page.Items ?? []) {
        const data = this.#live<T>(item);
        const sort = item[SESSION_TABLE.sortKey]?.S;
        if (data !== undefined && sort !== undefined) found.push({ sort, data });
      }
      start = page.LastEvaluatedKey;
    } while (start && found.length < MAX_LISTED_ITEMS);
    return found;
  }

  /** Deletes an item if present. */
  async remove(kind: AuthzItemKind, id: string, sort: string = kind): Promise<void> {
    await this.#send(() => this.#client.send(new DeleteItemCommand({ TableName: this.#table, Key: this.#key(kind, id, sort) })));
  }
}
