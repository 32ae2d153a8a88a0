import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { isConditionalCheckFailed } from './client.js';
import { SessionEndedError } from './errors.js';
import { sha256Hex } from './ids.js';
import { A, itemLive, key, num, readString, str } from './items.js';
import { linkToSession } from './session-records.js';
import type { SessionCaller } from './store.js';
import type { TableCalls } from './table-calls.js';

const ANSWER = 'answer';
/** Most pending items one session's end deletes (the per-session cap is far below). */
const MAX_SESSION_ITEMS = 64;

/** Where a pending server-to-client request stands, as the waiting instance reads it. */
export type PendingInputState = { readonly state: 'waiting' } | { readonly state: 'answered'; readonly answer: string } | { readonly state: 'gone' };

function pk(sessionId: string): string {
  return `input#${sha256Hex(sessionId)}`;
}

function sk(requestId: string): string {
  return `request#${requestId}`;
}

/**
 * The session table's record of the server-to-client requests (elicitation, sampling, roots) that
 * calls of 2025-era sessions are waiting on, so that the client's answer can arrive at any instance.
 * One item per request: `pk = input#<sha256(session id)>`, `sk = request#<request id>`, holding the
 * owner (issuer, subject, OAuth client) of the session, a TTL a little past the request's deadline,
 * and, once answered, the answer (bounded by the caller). The instance that receives the answer writes
 * it with one conditional update: only the session's owner, only while the request is pending and
 * unanswered, only once. The waiting instance reads the item until it holds an answer, then deletes it.
 */
export class PendingInputItems {
  constructor(
    private readonly calls: TableCalls,
    private readonly clock: () => number,
  ) {}

  /**
   * Records that a call of session `sessionId` waits for the answer to `requestId` until
   * `expiresAtMs`, and marks the session as having pending requests (two writes).
   *
   * @throws SessionEndedError when the session is gone (the record is removed again).
   * @throws SessionStoreUnavailableError when the store does not answer in time.
   */
  async open(sessionId: string, owner: SessionCaller, requestId: string, expiresAtMs: number): Promise<void> {
    await this.calls.call('PutItem', (abortSignal) =>
      this.calls.client.send(
        new PutItemCommand({
          TableName: this.calls.table,
          Item: {
            ...key(pk(sessionId), sk(requestId)),
            [A.issuer]: str(owner.issuer),
            [A.subject]: str(owner.subject),
            [A.clientId]: str(owner.clientId),
            [A.expiresAt]: num(Math.ceil(expiresAtMs / 1000)),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': A.pk },
        }),
        { abortSignal },
      ),
    );
    // The session is marked after the record exists, so its deletion finds the record (see `linkToSession`).
    let linked: boolean;
    try {
      linked = await linkToSession(this.calls, owner, sessionId, A.inputsLinked);
    } catch (error) {
      await this.close(sessionId, requestId).catch(() => undefined);
      throw error;
    }
    if (!linked) {
      await this.close(sessionId, requestId).catch(() => undefined);
      throw new SessionEndedError();
    }
  }

  /**
   * Stores `answer` for `requestId` of session `sessionId` if `caller` owns the session (issuer,
   * subject and client), the request is still pending and it has no answer yet. Returns whether it
   * stored it; an unknown, foreign, expired or already answered request all return `false`.
   */
  async answer(sessionId: string, caller: SessionCaller, requestId: string, answer: string): Promise<boolean> {
    try {
      await this.calls.call('UpdateItem', (abortSignal) =>
        this.calls.client.send(
          new UpdateItemCommand({
            TableName: this.calls.table,
            Key: key(pk(sessionId), sk(requestId)),
            UpdateExpression: 'SET #answer = :answer',
            ConditionExpression:
              'attribute_exists(#pk) AND #issuer = :issuer AND #subject = :subject AND #clientId = :clientId AND attribute_not_exists(#answer) AND #expiresAt > :now',
            ExpressionAttributeNames: {
              '#pk': A.pk,
              '#answer': ANSWER,
              '#issuer': A.issuer,
              '#subject': A.subject,
              '#clientId': A.clientId,
              '#expiresAt': A.expiresAt,
            },
            ExpressionAttributeValues: {
              ':answer': str(answer),
              ':issuer': str(caller.issuer),
              ':subject': str(caller.subject),
              ':clientId': str(caller.clientId),
              ':now': num(Math.floor(this.clock() / 1000)),
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
  }

  /** Whether `requestId` is still waiting, has been answered (and with what), or is gone (ended, expired). */
  async read(sessionId: string, requestId: string): Promise<PendingInputState> {
    const { Item } = await this.calls.call('GetItem', (abortSignal) =>
      this.calls.client.send(new GetItemCommand({ TableName: this.calls.table, Key: key(pk(sessionId), sk(requestId)), ConsistentRead: true }), {
        abortSignal,
      }),
    );
    if (!Item || !itemLive(Item, this.clock())) return { state: 'gone' };
    const answer = readString(Item, ANSWER);
    return answer === undefined ? { state: 'waiting' } : { state: 'answered', answer };
  }

  /** Removes the record of `requestId` (answered, timed out or abandoned). */
  async close(sessionId: string, requestId: string): Promise<void> {
    await this.calls.call('DeleteItem', (abortSignal) =>
      this.calls.client.send(new DeleteItemCommand({ TableName: this.calls.table, Key: key(pk(sessionId), sk(requestId)) }), { abortSignal }),
    );
  }

  /**
   * Removes every pending request of a session that ended, so the instances waiting on them stop.
   * Called by the session's deletion when its item says it may have had some.
   */
  async closeSession(sessionId: string): Promise<void> {
    const { Items } = await this.calls.call('Query', (abortSignal) =>
      this.calls.client.send(
        new QueryCommand({
          TableName: this.calls.table,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': A.pk, '#sk': A.sk },
          ExpressionAttributeValues: { ':pk': str(pk(sessionId)) },
          ProjectionExpression: '#pk, #sk',
          Limit: MAX_SESSION_ITEMS,
        }),
        { abortSignal },
      ),
    );
    for (const item of Items ?? []) {
      const requestSk = readString(item, A.sk);
      if (requestSk?.startsWith('request#')) await this.close(sessionId, requestSk.slice('request#'.length));
    }
  }
}
