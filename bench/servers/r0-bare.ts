/**
 * R0, the floor of this machine: a bare `node:http` server that reads a JSON-RPC request, parses it,
 * and answers a `tools/call`-shaped result echoing `params.arguments.text`. No MCP, no checks.
 *
 *   node --expose-gc --import tsx bench/servers/r0-bare.ts   (started by bench/run.ts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady, failStartup } from './hooks.js';

function answer(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let id: unknown = null;
    let text = '';
    try {
      const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; params?: { arguments?: { text?: unknown } } };
      id = message.id ?? null;
      text = typeof message.params?.arguments?.text === 'string' ? message.params.arguments.text : '';
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    const body = JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

try {
  const server = createServer(answer);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  announceReady((server.address() as AddressInfo).port, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
} catch (error) {
  failStartup(error);
}
