import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

const LIST = { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} };
const call = (name: string, args: Record<string, unknown> = {}, id = 3) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

async function initialize(url: string, token: string): Promise<string> {
  const response = await post(url, INITIALIZE, { authorization: `Bearer ${token}` });
  assert.equal(response.status, 200);
  const id = response.headers.get('mcp-session-id');
  assert.ok(id);
  return id;
}

function legacyHeaders(token: string, sessionId?: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2025-11-25', ...(sessionId ? { 'mcp-session-id': sessionId } : {}) };
}

describe('legacy sessions', () => {
  let kit: Kit;
  let alice: string;
  let mallory: string;
  before(async () => {
    kit = await startKit({ instances: 2 });
    alice = await kit.token({ sub: 'alice' });
    mallory = await kit.token({ sub: 'mallory' });
  });
  after(async () => {
    await kit.close();
  });

  test('initialize mints a 256-bit session that serves its owner on any instance', async () => {
    const sessionId = await initialize(kit.apps[0]!.url, alice);
    assert.ok(Buffer.from(sessionId, 'base64url').length >= 32);
    for (const app of kit.apps) {
      const response = await post(app.url, LIST, legacyHeaders(alice, sessionId));
      assert.equal(response.status, 200, `instance ${app.port} serves the session`);
    }
  });

  test('a legacy request without a session id gets 400', async () => {
    const response = await post(kit.url, LIST, legacyHeaders(alice));
    assert.equal(response.status, 400);
  });

  test('unknown, foreign and deleted sessions get one and the same 404', async () => {
    const sessionId = await initialize(kit.url, alice);
    const foreign = await post(kit.url, LIST, legacyHeaders(mallory, sessionId));
    const unknown = await post(kit.url, LIST, legacyHeaders(alice, 'A'.repeat(43)));
    const malformed = await post(kit.url, LIST, legacyHeaders(alice, 'short'));
    const deleted = await fetch(kit.url, { method: 'DELETE', headers: legacyHeaders(alice, sessionId) });
    assert.equal(deleted.status, 204, 'the owner ends the session');
    const afterDelete = await post(kit.url, LIST, legacyHeaders(alice, sessionId));
    const bodies = [foreign, unknown, malformed, afterDelete].map((response) => {
      assert.equal(response.status, 404);
      return response.text;
    });
    assert.equal(new Set(bodies).size, 1, 'the answer does not reveal which case it was');
  });

  test('a session deleted on another instance stops serving there within the cache lifetime', async () => {
    const shortCache = await startKit({ instances: 2, env: { MCP_SESSION_CACHE_SECONDS: '1' } });
    try {
      const token = await shortCache.token({ sub: 'frank' });
      const [first, second] = shortCache.apps;
      const sessionId = await initialize(first!.url, token);
      assert.equal((await post(first!.url, LIST, legacyHeaders(token, sessionId))).status, 200, 'cached on the first instance');
      const ended = await fetch(second!.url, { method: 'DELETE', headers: legacyHeaders(token, sessionId) });
      assert.equal(ended.status, 204);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      assert.equal((await post(first!.url, LIST, legacyHeaders(token, sessionId))).status, 404);
    } finally {
      await shortCache.close();
    }
  });

  test('a foreign owner cannot delete a session', async () => {
    const sessionId = await initialize(kit.url, alice);
    const attempt = await fetch(kit.url, { method: 'DELETE', headers: legacyHeaders(mallory, sessionId) });
    assert.equal(attempt.status, 404);
    assert.equal((await post(kit.url, LIST, legacyHeaders(alice, sessionId))).status, 200, 'the session survives');
  });

  test('a session never stands in for a token', async () => {
    const sessionId = await initialize(kit.url, alice);
    const response = await post(kit.url, LIST, { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': sessionId });
    assert.equal(response.status, 401);
  });

  test('GET answers 405: no standalone stream is served', async () => {
    const sessionId = await initialize(kit.url, alice);
    const response = await fetch(kit.url, { headers: { ...legacyHeaders(alice, sessionId), accept: 'text/event-stream' } });
    assert.equal(response.status, 405);
  });

  test('user state written through one instance and era is read through the other', async () => {
    const sessionId = await initialize(kit.apps[0]!.url, alice);
    const added = await post(kit.apps[0]!.url, call('notes_add', { text: 'buy oat milk' }), legacyHeaders(alice, sessionId));
    assert.equal(added.status, 200);
    const client = new Client({ name: 'modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(kit.apps[1]!.url), { requestInit: { headers: { authorization: `Bearer ${alice}` } } }));
    try {
      const listed = await client.callTool({ name: 'notes_list', arguments: {} });
      const notes = (listed.structuredContent as { notes: Array<{ text: string }> }).notes;
      assert.ok(notes.some((note) => note.text === 'buy oat milk'));
    } finally {
      await client.close();
    }
    const others = await post(kit.url, call('notes_list'), { authorization: `Bearer ${mallory}`, ...legacyHeaders(mallory, await initialize(kit.url, mallory)) });
    assert.ok(!others.text.includes('oat milk'), 'state is bound to its owner');
  });

  test('a session survives the instance that created it', async () => {
    const survivor = await startKit({ instances: 2 });
    try {
      const token = await survivor.token({ sub: 'dora' });
      const sessionId = await initialize(survivor.apps[0]!.url, token);
      await survivor.apps[0]!.close();
      survivor.apps.shift();
      const response = await post(survivor.apps[0]!.url, LIST, legacyHeaders(token, sessionId));
      assert.equal(response.status, 200);
    } finally {
      await survivor.close();
    }
  });
});

describe('two regions before replication', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ instances: 2, isolatedStores: true });
  });
  after(async () => {
    await kit.close();
  });

  test('a session unknown in the other region gets a clean 404, and the client re-initializes there and carries on', async () => {
    const token = await kit.token({ sub: 'erin' });
    const [east, west] = kit.apps;
    const sessionId = await initialize(east!.url, token);
    const failover = await post(west!.url, LIST, legacyHeaders(token, sessionId));
    assert.equal(failover.status, 404);
    assert.doesNotMatch(failover.text, /dynamo|table|region|stack/i);
    const fresh = await initialize(west!.url, token);
    assert.notEqual(fresh, sessionId);
    const carriedOn = await post(west!.url, call('whoami'), legacyHeaders(token, fresh));
    assert.equal(carriedOn.status, 200);
    assert.match(carriedOn.text, /erin/);
  });
});
