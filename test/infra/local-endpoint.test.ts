// The session table as the CDK defines it, created through the DynamoDB API of a local endpoint
// (dynalite, standing in for LocalStack) and used by the runtime's store, which finds the endpoint
// through AWS_ENDPOINT_URL_DYNAMODB exactly as `npm run local:run` points it at LocalStack.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { type CreateTableCommandInput, CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoSessionStore } from '../../runtime/src/session/index.js';
import { SessionTable } from '../../lib/constructs/session-table.js';
import { newApp } from './support.js';

type DynaliteFactory = (options: { createTableMs: number; updateTableMs: number; deleteTableMs: number }) => Server;

const TABLE = 'mcp-kit-local-sessions';
const ENVIRONMENT = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
};

/** The CreateTable request equivalent to the table the SessionTable construct synthesizes. */
function createTableInputFromTemplate(): CreateTableCommandInput {
  const stack = new Stack(newApp(), 'Data', { env: { account: '000000000000', region: 'eu-west-1' } });
  new SessionTable(stack, 'SessionTable', { tableName: TABLE });
  const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
  const p = table!.Properties;
  return {
    TableName: p.TableName,
    AttributeDefinitions: p.AttributeDefinitions,
    KeySchema: p.KeySchema,
    BillingMode: p.BillingMode,
  };
}

describe('session table on a local DynamoDB endpoint', () => {
  let server: Server;
  const saved: Record<string, string | undefined> = {};

  before(async () => {
    // GIVEN a local DynamoDB-compatible endpoint, announced the way the local scripts announce LocalStack
    const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
    server = dynalite({ createTableMs: 0, updateTableMs: 0, deleteTableMs: 0 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const [name, value] of Object.entries({ ...ENVIRONMENT, AWS_ENDPOINT_URL_DYNAMODB: endpoint })) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    // AND the table created from the synthesized template
    const client = new DynamoDBClient({});
    await client.send(new CreateTableCommand(createTableInputFromTemplate()));
    client.destroy();
  });

  after(async () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  test('the runtime store reaches it through AWS_ENDPOINT_URL_DYNAMODB and keeps a session for its owner only', async () => {
    // WHEN the store, built without an endpoint, opens a session and reads it back
    const store = new DynamoSessionStore({ tableName: TABLE });
    try {
      await store.ping();
      const owner = { issuer: 'https://issuer.local', subject: 'alice', clientId: 'local-client' };
      const created = await store.createSession(owner, { protocolVersion: '2025-11-25' });
      // THEN
      const record = await store.getSession(created.id, owner);
      assert.equal(record?.subject, 'alice');
      assert.equal(await store.getSession(created.id, { issuer: 'https://issuer.local', subject: 'mallory', clientId: 'local-client' }), undefined);
    } finally {
      store.close();
    }
  });
});
