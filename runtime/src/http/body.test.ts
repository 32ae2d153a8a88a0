import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { BodyTooLargeError, ClientGoneError, readBody } from './body.js';

/** Starts a server whose handler hands each request to `onRequest`, and sends `payload` raw. */
async function withRequest(payload: string, onRequest: (req: IncomingMessage) => Promise<void>): Promise<void> {
  let done!: Promise<void>;
  const server = quietServer((req, res) => {
    done = onRequest(req).finally(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  socket.write(payload);
  await new Promise((resolve) => setTimeout(resolve, 50));
  await done;
  socket.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A server whose malformed-connection errors (the client left mid-body) are expected, not failures. */
function quietServer(listener: Parameters<typeof createServer>[1]) {
  const server = createServer(listener!);
  server.on('clientError', (_error, socket) => socket.destroy());
  return server;
}

const HEAD = 'POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';

describe('readBody', () => {
  test('reads a whole body', async () => {
    await withRequest(`${HEAD}Content-Length: 2\r\n\r\n{}`, async (req) => {
      assert.equal((await readBody(req, 100)).toString(), '{}');
    });
  });

  test('refuses a declared oversized body before reading', async () => {
    await withRequest(`${HEAD}Content-Length: 1000\r\n\r\n`, async (req) => {
      await assert.rejects(readBody(req, 100), BodyTooLargeError);
    });
  });

  test('refuses a chunked body as soon as it passes the limit', async () => {
    await withRequest(`${HEAD}Transfer-Encoding: chunked\r\n\r\n80\r\n${'x'.repeat(128)}\r\n`, async (req) => {
      await assert.rejects(readBody(req, 100), BodyTooLargeError);
    });
  });

  test('settles when the client went away before the body was read, instead of waiting forever', async () => {
    const server = quietServer((req) => {
      // Authentication runs before the body is read; the client leaves meanwhile.
      req.socket.once('close', () => setTimeout(() => {
        assert.ok(req.destroyed, 'the request is destroyed before the body is read');
        const waiting = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 1000).unref());
        void Promise.race([readBody(req, 1000).then(() => 'read', (error: unknown) => error), waiting]).then((outcome) => server.emit('outcome', outcome));
      }, 20));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`${HEAD}Content-Length: 500\r\n\r\n{"partial":`);
    await once(server, 'request');
    socket.destroy();
    const [outcome] = await once(server, 'outcome');
    assert.ok(outcome instanceof ClientGoneError, `expected ClientGoneError, got ${String(outcome)}`);
    await new Promise((resolve) => server.close(resolve));
  });

  test('settles when the client goes away while the body is being read', async () => {
    const server = quietServer((req) => {
      void readBody(req, 1000).then(
        () => server.emit('outcome', 'read'),
        (error: unknown) => server.emit('outcome', error),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`${HEAD}Content-Length: 500\r\n\r\n{"partial":`);
    await once(server, 'request');
    setTimeout(() => socket.destroy(), 20);
    const [outcome] = await once(server, 'outcome');
    assert.ok(outcome instanceof ClientGoneError);
    await new Promise((resolve) => server.close(resolve));
  });
});
