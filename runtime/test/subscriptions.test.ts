import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_LISTENS_PER_PRINCIPAL } from '../src/subscriptions/index.js';
import { startKit, type Kit } from './harness.js';

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'listen-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

interface Listen {
  readonly status: number;
  /** The first SSE message (the acknowledgement), or the JSON error body. */
  readonly first: { method?: string; params?: { notifications?: { resourceSubscriptions?: string[] } }; error?: { code: number } };
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

async function listen(kit: Kit, token: string, resourceSubscriptions: string[], id = 1): Promise<Listen> {
  const abort = new AbortController();
  const response = await fetch(kit.url, {
    method: 'POST',
    signal: abort.signal,
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': 'subscriptions/listen',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: { _meta: ENVELOPE, notifications: { resourceSubscriptions } } }),
  });
  if (!response.headers.get('content-type')?.includes('text/event-stream')) {
    return { status: response.status, first: JSON.parse(await response.text()) as Listen['first'], ended: Promise.resolve(), close: () => undefined };
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  while (!buffered.includes('\n\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
  }
  const data = buffered.split('\n').find((line) => line.startsWith('data:'));
  const ended = (async () => {
    try {
      for (;;) if ((await reader.read()).done) return;
    } catch {
      // aborted by the test
    }
  })();
  return { status: response.status, first: JSON.parse(data!.slice(5)) as Listen['first'], ended, close: () => abort.abort() };
}

describe('subscriptions/listen (2026-07-28) through the hardened path', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit();
  });
  after(async () => {
    await kit.close();
  });

  test('a hidden resource is dropped from the acknowledgement exactly like a missing one', async () => {
    const staff = await kit.token({ sub: 'listen-staff', groups: ['staff'] });
    const stream = await listen(kit, staff, ['docs://documents', 'docs://runbooks/incident-response', 'docs://runbooks/no-such-runbook']);
    try {
      assert.equal(stream.status, 200);
      assert.equal(stream.first.method, 'notifications/subscriptions/acknowledged');
      assert.deepEqual(stream.first.params?.notifications?.resourceSubscriptions, ['docs://documents']);
    } finally {
      stream.close();
    }
    await stream.ended;
    const operator = await kit.token({ sub: 'listen-operator', groups: ['operators'] });
    const allowed = await listen(kit, operator, ['docs://runbooks/incident-response']);
    try {
      assert.deepEqual(allowed.first.params?.notifications?.resourceSubscriptions, ['docs://runbooks/incident-response']);
    } finally {
      allowed.close();
    }
  });

  test(`at most ${MAX_LISTENS_PER_PRINCIPAL} open streams per principal; closing them gives every slot back`, async () => {
    const token = await kit.token({ sub: 'listen-bounded', groups: ['staff'] });
    const open: Listen[] = [];
    for (let index = 0; index < MAX_LISTENS_PER_PRINCIPAL; index += 1) open.push(await listen(kit, token, ['docs://documents'], index + 1));
    assert.ok(open.every((stream) => stream.status === 200));
    const refused = await listen(kit, token, ['docs://documents'], 99);
    assert.equal(refused.status, 429);
    assert.equal(refused.first.error?.code, -32000);
    const other = await listen(kit, await kit.token({ sub: 'listen-other', groups: ['staff'] }), ['docs://documents']);
    assert.equal(other.status, 200, 'another principal is not affected');
    other.close();

    for (const stream of open) stream.close();
    // The server releases a slot when it sees the client go away; wait (generously) until all are back.
    const deadline = Date.now() + 30_000;
    let reopened: Listen[] = [];
    while (Date.now() < deadline) {
      reopened = [];
      for (let index = 0; index < MAX_LISTENS_PER_PRINCIPAL; index += 1) reopened.push(await listen(kit, token, ['docs://documents'], index + 10));
      if (reopened.every((stream) => stream.status === 200)) break;
      for (const stream of reopened) stream.close();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    assert.ok(reopened.every((stream) => stream.status === 200), 'every slot came back');
    for (const stream of reopened) stream.close();
  });

  test('a stream ends when its token expires; the access record names the method', async () => {
    const token = await kit.token({ sub: 'listen-expiring', groups: ['staff'], ttlSeconds: 3 });
    const stream = await listen(kit, token, ['docs://documents']);
    assert.equal(stream.status, 200);
    await stream.ended;
    const access = kit.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => 'outcome' in record && 'status' in record);
    assert.ok(access.some((record) => record.method === 'subscriptions/listen' && record.protocolEra === 'modern' && record.status === 200));
    assert.ok(access.some((record) => record.method === 'subscriptions/listen' && record.status === 429));
  });
});
