import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SESSION_TABLE } from './table-schema.js';

/** Options of {@link createSessionTable}. */
export interface CreateSessionTableOptions {
  /**
   * Milliseconds to wait for the table to become ACTIVE.
   * @default 30000
   */
  readonly activeTimeoutMs?: number;
}

/**
 * Creates the session table as `SESSION_TABLE` describes it (string `pk`/`sk`, no secondary index,
 * on-demand billing), waits until it is ACTIVE, and turns on TTL where the
 * endpoint supports it (DynamoDB, LocalStack; dynalite has no TTL). An existing table is accepted
 * as is. For the development mode and tests: in AWS the CDK `SessionTable` construct owns the table.
 *
 * @throws Error when the table does not become ACTIVE within `activeTimeoutMs`, or the SDK's error
 * when the endpoint refuses the table.
 * @example
 * await createSessionTable(client, 'mcp-sessions');
 */
export async function createSessionTable(
  client: DynamoDBClient,
  tableName: string,
  options: CreateSessionTableOptions = {},
): Promise<void> {
  const { partitionKey, sortKey, attributeTypes, ttlAttribute } = SESSION_TABLE;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: Object.entries(attributeTypes).map(([AttributeName, AttributeType]) => ({
          AttributeName,
          AttributeType,
        })),
        KeySchema: [
          { AttributeName: partitionKey, KeyType: 'HASH' },
          { AttributeName: sortKey, KeyType: 'RANGE' },
        ],
      }),
    );
  } catch (error) {
    if ((error as { name?: unknown }).name !== 'ResourceInUseException') throw error;
  }
  await waitUntilActive(client, tableName, options.activeTimeoutMs ?? 30_000);
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite answers UnknownOperationException; DynamoDB answers ValidationException when TTL is already on.
    const name = (error as { name?: unknown }).name;
    if (name !== 'UnknownOperationException' && name !== 'ValidationException') throw error;
  }
}

async function waitUntilActive(client: DynamoDBClient, tableName: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 50;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const indexesActive = (Table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (Table?.TableStatus === 'ACTIVE' && indexesActive) return;
    if (Date.now() + delayMs > deadline) {
      throw new Error(`table ${tableName} did not become active within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 1000);
  }
}
