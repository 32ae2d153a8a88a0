import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

/** Sends raw bytes and returns the status line the server answers with. */
function rawStatus(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(payload));
    let data = '';
    socket.on('data', (chunk) => (data += chunk.toString('latin1')));
    socket.on('end', () => resolve(data.split('\r\n', 1)[0] ?? ''));
    socket.on('close', () => resolve(data.split('\r\n', 1)[0] ?? ''));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('transport hygiene', () => {
  let kit: Kit;
  let auth: Record<string, string>;
  before(async () => {
    kit = await startKit({ env: { MCP_MAX_BODY_BYTES: '65536' } });
    auth = { authorization: `Bearer ${await kit.token()}` };
  });
  after(async () => {
    await kit.close();
  });

  test('a foreign Host is refused before anything else', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(kit.url, { method: 'POST', headers: { host: 'evil.example.com', 'content-type': 'application/json', ...auth } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify(INITIALIZE));
    });
    assert.equal(status, 421);
  });

  test('a present and foreign Origin gets 403', async () => {
    const response = await post(kit.url, INITIALIZE, { ...auth, origin: 'https://evil.example.com' });
    assert.equal(response.status, 403);
  });

  test('an unsupported MCP-Protocol-Version gets 400 with the request id, the supported versions and the requested one', async () => {
    const response = await post(kit.url, INITIALIZE, { ...auth, 'mcp-protocol-version': '1999-01-01' });
    assert.equal(response.status, 400);
    const body = response.json() as { id: unknown; error: { code: number; data: { supported: string[]; requested: string } } };
    assert.equal(body.id, INITIALIZE.id);
    assert.equal(body.error.code, -32022);
    assert.ok(body.error.data.supported.includes('2025-11-25'));
    assert.equal(body.error.data.requested, '1999-01-01');
  });

  test('an unsupported MCP-Protocol-Version is still refused without a token, before the body is read', async () => {
    const response = await post(kit.url, INITIALIZE, { 'mcp-protocol-version': '1999-01-01' });
    assert.equal(response.status, 401);
  });

  test('a body over the limit gets 413 before it is parsed', async () => {
    const response = await post(kit.url, `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${'x'.repeat(70_000)}"}}`, auth);
    assert.equal(response.status, 413);
  });

  test('a body over the limit without Content-Length (chunked) gets 413 too', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(kit.url, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', ...auth } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve(413));
      for (let index = 0; index < 20; index += 1) req.write('x'.repeat(8192));
      req.end();
      void reject;
    });
    assert.equal(status, 413);
  });

  test('malformed JSON gets 400 with a JSON-RPC parse error and no stack', async () => {
    const response = await post(kit.url, '{"jsonrpc": "2.0", "id": 1, "method": ', auth);
    assert.equal(response.status, 400);
    const body = response.json() as { error: { code: number; message: string } };
    assert.equal(body.error.code, -32700);
    assert.doesNotMatch(response.text, /at .*\.ts|SyntaxError|node:internal/);
  });

  test('a non-JSON content type gets 415', async () => {
    const response = await fetch(kit.url, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: 'hello' });
    assert.equal(response.status, 415);
  });

  test('oversized headers are refused with 431, not a 5xx', async () => {
    const port = kit.apps[0]!.port;
    const line = await rawStatus(port, `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Pad: ${'a'.repeat(100 * 1024)}\r\n\r\n`);
    assert.match(line, /^HTTP\/1\.1 431/);
  });

  test('garbage on the wire is answered 400, not a 5xx', async () => {
    const port = kit.apps[0]!.port;
    const line = await rawStatus(port, 'NOT HTTP AT ALL\r\n\r\n');
    assert.match(line, /^HTTP\/1\.1 400/);
  });

  test('keep-alive outlasts a load balancer idle timeout of 60 s', async () => {
    const keepAlive = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(kit.url.replace('/mcp', '/healthz'), { agent: new Agent({ keepAlive: true }) }, (res) => {
        res.resume();
        resolve(String(res.headers['keep-alive'] ?? ''));
      });
      req.on('error', reject);
      req.end();
    });
    const timeout = Number(/timeout=(\d+)/.exec(keepAlive)?.[1]);
    assert.ok(timeout > 60, `the server keeps idle connections ${timeout} s`);
  });

  test('/healthz reveals nothing and /readyz checks the store', async () => {
    const health = await fetch(kit.url.replace('/mcp', '/healthz'));
    assert.deepEqual(await health.json(), { status: 'ok' });
    const ready = await fetch(kit.url.replace('/mcp', '/readyz'));
    assert.equal(ready.status, 200);
  });

  test('protected-resource metadata is published at both locations', async () => {
    for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
      const response = await fetch(new URL(path, kit.url));
      assert.equal(response.status, 200);
      const metadata = (await response.json()) as { resource: string; authorization_servers: string[]; scopes_supported: string[] };
      assert.equal(metadata.resource, kit.resource);
      assert.deepEqual(metadata.authorization_servers, [kit.issuer.issuer]);
      assert.ok(metadata.scopes_supported.includes('mcp:identity.read'));
      assert.ok(!metadata.scopes_supported.some((scope) => scope.includes('*')), 'no wildcard scope');
    }
  });

  test('unknown paths get 404 and other methods on /mcp get 405', async () => {
    assert.equal((await fetch(new URL('/admin', kit.url))).status, 404);
    const put = await fetch(kit.url, { method: 'PUT', headers: auth });
    assert.equal(put.status, 405);
  });
});
