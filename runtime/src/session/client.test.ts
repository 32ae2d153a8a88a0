import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { createSessionStoreClient } from './index.js';
import { startLocalDynamo, type LocalDynamo } from './test-support.js';

describe('createSessionStoreClient', () => {
  let dynamo: LocalDynamo;

  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    await dynamo.close();
  });

  test('signs every request with the credentials its provider gives at that moment, for its region and service', async () => {
    // GIVEN a client whose credential provider rotates keys, and a look at each request as it leaves (after signing)
    let calls = 0;
    const client = createSessionStoreClient({
      region: 'eu-west-1',
      endpoint: dynamo.endpoint,
      credentials: async () => {
        calls += 1;
        return { accessKeyId: `key-${calls}`, secretAccessKey: `secret-${calls}`, expiration: new Date(Date.now() + 1) };
      },
    });
    const seen: string[] = [];
    client.middlewareStack.add(
      (next) => (args) => {
        const { headers } = args.request as { headers: Record<string, string> };
        seen.push(headers.authorization ?? '');
        return next(args);
      },
      { step: 'deserialize', name: 'readSignedRequest' },
    );
    try {
      // WHEN it sends three calls, the credentials expiring after each
      for (let i = 0; i < 3; i += 1) {
        await client.send(new GetItemCommand({ TableName: dynamo.tableName, Key: { pk: { S: 'x' }, sk: { S: 'y' } } }));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      client.destroy();
    }
    // THEN each was signed (SigV4) with the key current at that call, for eu-west-1 and dynamodb
    assert.equal(seen.length, 3);
    const keys = seen.map((authorization) => /^AWS4-HMAC-SHA256 Credential=([^/]+)\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.exec(authorization)?.[1]);
    assert.equal(new Set(keys).size, 3, `three different keys: ${keys.join(', ')}`);
    assert.ok(keys.every((key) => key?.startsWith('key-')));
  });

  test('keeps retries, signing, the user agent and trace propagation in its middleware; drops only the no-op logger', () => {
    const client = createSessionStoreClient({ region: 'eu-west-1', endpoint: dynamo.endpoint });
    try {
      const names = client.middlewareStack.identify().join('\n');
      for (const kept of ['retryMiddleware', 'httpSigningMiddleware', 'getUserAgentMiddleware', 'recursionDetectionMiddleware', 'serializerMiddleware', 'deserializerMiddleware']) {
        assert.match(names, new RegExp(kept), kept);
      }
      assert.doesNotMatch(names, /loggerMiddleware/);
    } finally {
      client.destroy();
    }
  });
});
