import { DeleteItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { classifyStoreError, isConditionalCheckFailed } from './client.js';
import { SessionStoreUnavailableError, type StoreFailureReason } from './errors.js';
import { A, str, type Item } from './items.js';
import type { SessionOwner } from './store.js';

/**
 * The session table as the store's parts call it: every SDK call runs under the operation deadline,
 * and whatever still fails after the SDK's own retries (except a failed condition, which callers
 * decide on) becomes `SessionStoreUnavailableError` with a jittered retry hint.
 */
export class TableCalls {
  constructor(
    readonly client: DynamoDBClient,
    readonly table: string,
    private readonly operationTimeoutMs: number,
    private readonly retryAfterSeconds: number,
  ) {}

  /** Runs one SDK call under the operation deadline. A failed condition is rethrown as it is. */
  async call<T>(operation: string, send: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.operationTimeoutMs);
    try {
      return await send(controller.signal);
    } catch (error) {
      if (isConditionalCheckFailed(error)) throw error;
      const reason = controller.signal.aborted ? 'timeout' : classifyStoreError(error);
      throw this.unavailable(operation, reason, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The error an operation that could not complete throws. */
  unavailable(operation: string, reason: StoreFailureReason, cause?: unknown): SessionStoreUnavailableError {
    const base = reason === 'throttled' ? this.retryAfterSeconds * 2 : this.retryAfterSeconds;
    return new SessionStoreUnavailableError(operation, reason, Math.max(1, Math.round(base * (1 + Math.random()))), cause);
  }

  /** Writes `item` unless an item with its key exists; returns false when one did (an id collision). */
  async putIfAbsent(item: Item): Promise<boolean> {
    try {
      await this.call('PutItem', (abortSignal) =>
        this.client.send(
          new PutItemCommand({
            TableName: this.table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': A.pk },
          }),
          { abortSignal },
        ),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /**
   * Deletes an item if `owner` owns it (and, when given, `extra` holds too); returns its previous
   * attributes, or `undefined` when none was deleted.
   */
  async deleteOwned(
    itemKey: Item,
    owner: SessionOwner,
    extra?: { condition: string; names: Record<string, string>; values: Item },
  ): Promise<Item | undefined> {
    try {
      const { Attributes } = await this.call('DeleteItem', (abortSignal) =>
        this.client.send(
          new DeleteItemCommand({
            TableName: this.table,
            Key: itemKey,
            ConditionExpression: `#issuer = :issuer AND #subject = :subject${extra ? ` AND ${extra.condition}` : ''}`,
            ExpressionAttributeNames: { '#issuer': A.issuer, '#subject': A.subject, ...extra?.names },
            ExpressionAttributeValues: { ':issuer': str(owner.issuer), ':subject': str(owner.subject), ...extra?.values },
            ReturnValues: 'ALL_OLD',
          }),
          { abortSignal },
        ),
      );
      return Attributes;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }
}
