import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ownerDigest, sha256Hex } from './ids.js';
import { SessionEndedError, type DynamoSessionStoreOptions } from './index.js';
import { countingClient, sessionStores, startLocalDynamo, testPrincipal, type LocalDynamo } from './test-support.js';

const alice = testPrincipal('alice');
const bob = testPrincipal('bob');
const init = { protocolVersion: '2025-06-18', clientInfo: { name: 'inspector', version: '1.0.0' } };

/** The session's items in `owner`'s state partition and in its pending-input partition, read straight from the table. */
async function leftovers(local: LocalDynamo, owner: typeof alice, sessionId: string): Promise<{ state: string[]; inputs: string[] }> {
  const query = async (pk: string) => {
    const { Items } = await local.client.send(
      new QueryCommand({ TableName: local.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, ConsistentRead: true }),
    );
    return (Items ?? []).map((item) => item.sk?.S ?? '');
  };
  const state = (await query(`state#${ownerDigest(owner.issuer, owner.subject)}`)).filter((sk) => sk.startsWith(`session#${sha256Hex(sessionId)}#`));
  return { state, inputs: await query(`input#${sha256Hex(sessionId)}`) };
}

describe('DynamoSessionStore: what is tied to a session goes with it', () => {
  let dynamo: LocalDynamo;
  const stores = sessionStores({ cacheTtlSeconds: 0 });
  const storeOn = (options: Partial<DynamoSessionStoreOptions> = {}) => stores.on(dynamo, options);

  before(async () => {
    dynamo = await startLocalDynamo();
  });
  after(async () => {
    stores.closeAll();
    await dynamo.close();
  });

  test('deleting a session that never tied anything to it is one conditional delete', async () => {
    // GIVEN a session opened on one instance
    const counted = countingClient(dynamo);
    const { id } = await storeOn().createSession(alice, init);
    // WHEN another instance ends it
    const other = storeOn({ client: counted.client });
    // THEN it takes exactly one call, and the session is gone
    assert.equal(await other.deleteSession(id, alice), true);
    assert.deepEqual(counted.calls, ['DeleteItem']);
    assert.equal(await other.getSession(id, alice), undefined);
    // AND a foreign or repeated delete is the same single call, answered false
    counted.calls.length = 0;
    assert.equal(await other.deleteSession(id, alice), false);
    assert.equal(await other.deleteSession(id, bob), false);
    assert.deepEqual(counted.calls, ['DeleteItem', 'DeleteItem']);
  });

  test('session-scoped state marks its session, and the delete on any instance removes it', async () => {
    // GIVEN a session with a document of its own (written twice) and one of its owner
    const writer = storeOn();
    const { id } = await writer.createSession(alice, init);
    const { version } = await writer.writeState(alice, { scope: 'notes', sessionId: id }, 'first', 0);
    await writer.writeState(alice, { scope: 'notes', sessionId: id }, 'second', version);
    await writer.writeState(alice, { scope: 'kept' }, 'per-owner', 0);
    // WHEN another instance ends the session
    const counted = countingClient(dynamo);
    assert.equal(await storeOn({ client: counted.client }).deleteSession(id, alice), true);
    // THEN it deleted, looked up the session's state, removed it, and left the owner's document
    assert.deepEqual(counted.calls, ['DeleteItem', 'Query', 'DeleteItem']);
    assert.deepEqual((await leftovers(dynamo, alice, id)).state, []);
    assert.equal((await writer.readState(alice, { scope: 'kept' }))?.value, 'per-owner');
  });

  test('pending input records mark their session, and the delete removes them', async () => {
    // GIVEN a session with a call waiting for the client's answer
    const waiter = storeOn();
    const { id } = await waiter.createSession(alice, init);
    await waiter.pendingInputs.open(id, alice, 'request-1', Date.now() + 60_000);
    assert.deepEqual(await waiter.pendingInputs.read(id, 'request-1'), { state: 'waiting' });
    // WHEN another instance ends the session
    const counted = countingClient(dynamo);
    assert.equal(await storeOn({ client: counted.client }).deleteSession(id, alice), true);
    // THEN the record is gone, so the waiting instance stops at its next read
    assert.deepEqual(counted.calls, ['DeleteItem', 'Query', 'DeleteItem']);
    assert.deepEqual(await waiter.pendingInputs.read(id, 'request-1'), { state: 'gone' });
    assert.deepEqual((await leftovers(dynamo, alice, id)).inputs, []);
  });

  test('a session stored before the marks existed is cleaned up as before', async () => {
    // GIVEN a session item without the marks, with a state document and a pending record written without marking it
    const store = storeOn();
    const { id } = await store.createSession(alice, init);
    const slotKey = { pk: { S: `sessions#${ownerDigest(alice.issuer, alice.subject)}` }, sk: { S: `slot#${Number.parseInt(id.slice(43), 36)}` } };
    await dynamo.client.send(new UpdateItemCommand({ TableName: dynamo.tableName, Key: slotKey, UpdateExpression: 'REMOVE stateLinked, inputsLinked' }));
    const expiresAt = { N: String(Math.ceil(Date.now() / 1000) + 600) };
    const owner = { issuer: { S: alice.issuer }, subject: { S: alice.subject } };
    await dynamo.client.send(
      new PutItemCommand({
        TableName: dynamo.tableName,
        Item: { pk: { S: `state#${ownerDigest(alice.issuer, alice.subject)}` }, sk: { S: `session#${sha256Hex(id)}#old` }, ...owner, value: { S: '1' }, version: { N: '1' }, expiresAt },
      }),
    );
    await dynamo.client.send(new PutItemCommand({ TableName: dynamo.tableName, Item: { pk: { S: `input#${sha256Hex(id)}` }, sk: { S: 'request#r' }, ...owner, clientId: { S: alice.clientId }, expiresAt } }));
    // WHEN it is deleted
    assert.equal(await store.deleteSession(id, alice), true);
    // THEN both are gone
    assert.deepEqual(await leftovers(dynamo, alice, id), { state: [], inputs: [] });
  });

  test('state or a pending record for a session that is gone is refused and nothing of it is kept', async () => {
    // GIVEN a deleted session, an id of the right shape that was never minted, and another owner's session
    const store = storeOn();
    const { id: deleted } = await store.createSession(alice, init);
    assert.equal(await store.deleteSession(deleted, alice), true);
    const { id: bobs } = await store.createSession(bob, init);
    const neverMinted = `${'A'.repeat(43)}00`;
    for (const sessionId of [deleted, neverMinted, bobs]) {
      // WHEN alice writes state or waits for input in it
      await assert.rejects(store.writeState(alice, { scope: 'notes', sessionId }, 'x', 0), SessionEndedError);
      await assert.rejects(store.pendingInputs.open(sessionId, alice, 'request-2', Date.now() + 60_000), SessionEndedError);
      // THEN nothing is stored for it
      assert.deepEqual(await leftovers(dynamo, alice, sessionId), { state: [], inputs: [] }, sessionId);
    }
    // AND bob's session is untouched and still deletes in one call
    const counted = countingClient(dynamo);
    assert.equal(await storeOn({ client: counted.client }).deleteSession(bobs, bob), true);
    assert.deepEqual(counted.calls, ['DeleteItem']);
  });

  test('a delete that lands between a state write and its mark never leaves the document behind', async () => {
    // GIVEN a writer whose mark of the session is held back until the delete has finished (real calls, reordered)
    const held = countingClient(dynamo);
    let releaseMark!: () => void;
    const deleteDone = new Promise<void>((resolve) => (releaseMark = resolve));
    held.client.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (context.commandName === 'UpdateItemCommand' && input.UpdateExpression === 'SET #link = :true') await deleteDone;
        return next(args);
      },
      { step: 'initialize', name: 'holdMark' },
    );
    const writer = storeOn({ client: held.client });
    const { id } = await writer.createSession(alice, init);
    const write = writer.writeState(alice, { scope: 'race', sessionId: id }, 'x', 0);
    // WHEN the session is deleted once the document exists, before the mark
    const deleter = storeOn();
    for (let i = 0; i < 100 && !held.calls.includes('UpdateItem'); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(held.calls.slice(-2), ['PutItem', 'UpdateItem'], 'the document was written and the mark is waiting');
    assert.equal(await deleter.deleteSession(id, alice), true);
    releaseMark();
    // THEN the write is refused and the document removed by the writer
    await assert.rejects(write, SessionEndedError);
    assert.deepEqual((await leftovers(dynamo, alice, id)).state, []);
  });
});
