import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { INITIALIZE, parseMaybeSse, post, startKit, type Kit } from './harness.js';

// Client-triggered 500s and reflections: each input gets a 4xx (or a JSON-RPC error) with the usual
// safe body, and nothing the client wrote comes back.

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'hostile', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};
// A fake AWS access key id, assembled so that no complete key-shaped literal sits in the source.
const FAKE_KEY = ['AKIA', 'IOSFODNN7', 'EXAMPLE'].join('');

let kit: Kit;
let alice: Record<string, string>;
let aliceToken: string;

before(async () => {
  kit = await startKit();
  aliceToken = await kit.token({ sub: 'alice' });
  const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${aliceToken}` });
  assert.equal(init.status, 200);
  alice = { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
});
after(async () => {
  await kit.close();
});

/** Sends `target` as the request line's target, byte for byte, and returns status and body. */
function rawRequest(target: string, headers: Record<string, string>, body = ''): Promise<{ status: number; text: string }> {
  const { host, port } = new URL(kit.url);
  const head = [`POST ${target} HTTP/1.1`, `host: ${host}`, 'content-type: application/json', 'accept: application/json, text/event-stream', `content-length: ${Buffer.byteLength(body)}`, 'connection: close'];
  for (const [name, value] of Object.entries(headers)) head.push(`${name}: ${value}`);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${head.join('\r\n')}\r\n\r\n${body}`));
    let text = '';
    const done = () => {
      socket.destroy();
      resolve({ status: Number(text.split(' ', 2)[1]), text: text.slice(text.indexOf('\r\n\r\n') + 4) });
    };
    // Resolves once the answer is complete (a kept-alive connection is not waited for).
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split < 0) return;
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split));
      if (length ? Buffer.byteLength(text.slice(split + 4)) >= Number(length[1]) : text.endsWith('\r\n0\r\n\r\n')) done();
    });
    socket.on('error', reject);
    socket.on('close', done);
  });
}

function errorOf(text: string): { code: number; message: string; data?: unknown } | undefined {
  return (parseMaybeSse(text) as { error?: { code: number; message: string } } | undefined)?.error;
}

describe('absolute-form request targets', () => {
  const list = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  const call = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } });

  test('a foreign authority is misdirected on the SDK path and on the direct tools/call path alike', async () => {
    for (const body of [list, call]) {
      const answer = await rawRequest('http://evil.example/mcp', alice, body);
      assert.equal(answer.status, 421);
      assert.equal(errorOf(answer.text)?.message, 'Misdirected request.');
      assert.ok(!answer.text.includes('evil'));
    }
  });

  test('the server’s own authority in absolute form is served like origin form', async () => {
    const { host } = new URL(kit.url);
    for (const body of [list, call]) assert.equal((await rawRequest(`http://${host}/mcp`, alice, body)).status, 200);
  });

  test('other target forms get 400, not a 5xx', async () => {
    for (const target of ['*', 'evil.example:443', 'ftp://evil.example/mcp', 'http://user:pw@evil.example/mcp']) {
      const answer = await rawRequest(target, alice, list);
      assert.ok(answer.status === 400 || answer.status === 421, `${target}: ${answer.status}`);
    }
    assert.equal(kit.apps[0]!.slots.size, 0);
  });
});

describe('session ids and subjects that look like tokens', () => {
  const jwtShaped = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiJ4In0', 'c2lnbmF0dXJlLXNpZ25hdHVyZQ'].join('.');

  test('a JWT-shaped Mcp-Session-Id gets the uniform 404 on POST and DELETE', async () => {
    const unknown = `${randomBytes(32).toString('base64url')}00`; // the shape of a minted id
    const list = { jsonrpc: '2.0', id: 2, method: 'tools/list' };
    const expected = await post(kit.url, list, { ...alice, 'mcp-session-id': unknown });
    assert.equal(expected.status, 404);
    const posted = await post(kit.url, list, { ...alice, 'mcp-session-id': jwtShaped });
    assert.equal(posted.status, 404);
    assert.equal(posted.text, expected.text);
    for (const id of [jwtShaped, unknown]) {
      const deleted = await fetch(kit.url, { method: 'DELETE', headers: { authorization: alice.authorization!, 'mcp-session-id': id } });
      assert.equal(deleted.status, 404);
      assert.equal(await deleted.text(), expected.text);
    }
  });

  test('a user whose subject looks like a JWT is served normally', async () => {
    const token = await kit.token({ sub: 'eyJohn.smith.jr' });
    const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    assert.equal(init.status, 200);
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
    const answer = await post(kit.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, headers);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /"subject":"eyJohn\.smith\.jr"/);
    assert.equal((await fetch(kit.url, { method: 'DELETE', headers })).status, 204);
  });
});

describe('SDK-path errors echo nothing the client wrote', () => {
  const MARK = 'ZQX-MARKER';
  const modern = (method: string, params: Record<string, unknown> = {}, extra: Record<string, string> = {}) =>
    post(kit.url, { jsonrpc: '2.0', id: 4, method, params: { ...params, _meta: ENVELOPE } }, { authorization: `Bearer ${aliceToken}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...extra });

  test('an Mcp-Method header that disagrees with the body', async () => {
    const answer = await modern('tools/list', {}, { 'mcp-method': `${MARK}-method` });
    assert.ok(answer.status >= 400 && answer.status < 500, String(answer.status));
    assert.ok(errorOf(answer.text), 'a JSON-RPC error');
    assert.ok(!answer.text.includes(MARK), answer.text);
  });

  test('an unknown method and an unknown prompt name', async () => {
    for (const answer of [
      await post(kit.url, { jsonrpc: '2.0', id: 5, method: `${MARK}/method` }, alice),
      await post(kit.url, { jsonrpc: '2.0', id: 6, method: 'prompts/get', params: { name: `${MARK}-prompt` } }, alice),
      await modern('prompts/get', { name: `${MARK}-prompt` }),
    ]) {
      assert.ok(errorOf(answer.text), `a JSON-RPC error (status ${answer.status})`);
      assert.ok(!answer.text.includes(MARK), answer.text);
    }
  });

  test('a malformed initialize gets 400 with a fixed message, no schema dump, and no session', async () => {
    const answer = await post(kit.url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: 5, clientInfo: `${MARK}-info` } }, { authorization: `Bearer ${aliceToken}` });
    assert.equal(answer.status, 400);
    assert.equal(answer.headers.get('mcp-session-id'), null);
    const error = errorOf(answer.text)!;
    assert.equal(error.code, -32602);
    assert.ok(!answer.text.includes(MARK) && !answer.text.includes('invalid_type') && !answer.text.includes('expected'), answer.text);
  });

  test('a credential-shaped argument name is refused without being named, on both paths', async () => {
    const direct = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'whoami', arguments: { [FAKE_KEY]: 1 } } };
    const viaSdk = { ...direct, params: { ...direct.params, _meta: { progressToken: 1 } } };
    const answers = [await post(kit.url, direct, alice), await post(kit.url, viaSdk, alice)];
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      const result = (parseMaybeSse(answer.text) as { result: { isError: boolean; content: Array<{ text: string }> } }).result;
      assert.equal(result.isError, true);
      assert.ok(!answer.text.includes(FAKE_KEY.slice(4)), answer.text);
    }
  });
});

describe('__proto__ in arguments', () => {
  test('is decided alike on the direct and the SDK path (refused before either)', async () => {
    const bodies = [
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"whoami","arguments":{"__proto__":{"x":1}}}}',
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"whoami","arguments":{"__proto__":{"x":1}},"_meta":{"progressToken":1}}}',
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"whoami","arguments":{"\\u005f_proto__":{"x":1}}}}',
    ];
    const answers = [];
    for (const body of bodies) answers.push(await post(kit.url, body, alice));
    for (const answer of answers) {
      assert.equal(answer.status, 400);
      assert.equal(answer.text, answers[0]!.text, 'the same answer on every path');
      assert.equal(errorOf(answer.text)?.code, -32600);
    }
  });
});

describe('malformed params of the methods the SDK answers', () => {
  const MARK = 'ZQX-PARAMS';
  const cases: [string, unknown][] = [
    ['tools/list', { cursor: 5 }],
    ['resources/list', { cursor: {} }],
    ['resources/templates/list', { cursor: [MARK] }],
    ['prompts/list', { cursor: 1 }],
    ['resources/read', {}],
    ['resources/read', { uri: 5 }],
    ['prompts/get', { name: [MARK] }],
    ['prompts/get', { name: 'summarize_document', arguments: MARK }],
    ['completion/complete', { ref: 5 }],
    ['completion/complete', { ref: { type: 'ref/prompt', name: MARK }, argument: MARK }],
  ];

  test('are invalid params (-32602) with the request id, in both eras, and echo nothing', async () => {
    for (const [method, params] of cases) {
      const legacy = await post(kit.url, { jsonrpc: '2.0', id: 21, method, params }, alice);
      const modern = await post(
        kit.url,
        { jsonrpc: '2.0', id: 22, method, params: { ...(params as object), _meta: ENVELOPE } },
        { authorization: `Bearer ${aliceToken}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(method === 'prompts/get' && typeof (params as { name?: unknown }).name === 'string' ? { 'mcp-name': 'summarize_document' } : {}) },
      );
      for (const [answer, id] of [[legacy, 21], [modern, 22]] as const) {
        const message = parseMaybeSse(answer.text) as { id?: unknown; error?: { code: number } };
        assert.equal(message.error?.code, -32602, `${method} ${JSON.stringify(params)}: ${answer.text}`);
        assert.equal(message.id, id);
        assert.ok(!answer.text.includes(MARK), answer.text);
      }
    }
  });

  test('in a 2025-03-26 batch, each malformed message is invalid params and the others are served', async () => {
    const init = await post(kit.url, { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion: '2025-03-26' } }, { authorization: `Bearer ${aliceToken}` });
    assert.equal(init.status, 200);
    const session = { authorization: `Bearer ${aliceToken}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-03-26' };
    const batch = [
      { jsonrpc: '2.0', id: 31, method: 'tools/list', params: { cursor: 5 } },
      { jsonrpc: '2.0', id: 32, method: 'tools/list' },
      { jsonrpc: '2.0', id: 33, method: 'prompts/get', params: { name: [MARK] } },
    ];
    const answer = await post(kit.url, batch, session);
    assert.equal(answer.status, 200);
    const text = answer.text.trim();
    const messages = (text.startsWith('[')
      ? JSON.parse(text)
      : text.split('\n').filter((line) => line.startsWith('data:')).flatMap((line) => JSON.parse(line.slice(5)) as unknown)) as Array<{ id: number; result?: { tools?: unknown }; error?: { code: number } }>;
    const byId = new Map(messages.map((message) => [message.id, message]));
    assert.equal(byId.get(31)?.error?.code, -32602, answer.text);
    assert.ok(Array.isArray(byId.get(32)?.result?.tools), answer.text);
    assert.equal(byId.get(33)?.error?.code, -32602, answer.text);
    assert.ok(!answer.text.includes(MARK), answer.text);
  });

  test('a subscription to a malformed uri is invalid params too, and the session still serves', async () => {
    const answer = await post(kit.url, { jsonrpc: '2.0', id: 23, method: 'resources/subscribe', params: { uri: 5 } }, alice);
    assert.equal(errorOf(answer.text)?.code, -32602);
    const list = await post(kit.url, { jsonrpc: '2.0', id: 24, method: 'resources/list' }, alice);
    assert.ok(Array.isArray((parseMaybeSse(list.text) as { result?: { resources?: unknown } }).result?.resources));
  });
});
