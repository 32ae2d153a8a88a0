/**
 * R1: a minimal MCP server on the same SDK version the kit uses (`@modelcontextprotocol/server`
 * 2.4.0 with the node adapter), no authentication, one echo tool with a zod input schema, and the
 * kit's bundled document index as a resource and its `summarize_document` prompt (same contents),
 * written the way the SDK documents it.
 *
 * - `/mcp` — the documented standard for both eras: `createMcpHandler(factory)` with its default
 *   legacy posture, which serves 2026-07-28 requests through the per-request modern path and
 *   2025-era requests through the stateless legacy fallback (a fresh `McpServer` per request, as
 *   the SDK's "Support legacy clients" guide presents it). Mounted with `toNodeHandler` behind the
 *   `localhostHostValidation` / `localhostOriginValidation` guards, as the node adapter's README
 *   shows for plain `node:http`.
 * - `/mcp-sessionful` — for reference only: the sessionful 2025 wiring the SDK documents for
 *   keeping an existing deployment (`NodeStreamableHTTPServerTransport` with `sessionIdGenerator`,
 *   transports kept in a `Map`, one `McpServer` per session). It holds every session in this
 *   process, which the kit's design rules out.
 *
 *   node --expose-gc --import tsx bench/servers/r1-sdk.ts   (started by bench/run.ts)
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localhostHostValidation, localhostOriginValidation, NodeStreamableHTTPServerTransport, toNodeHandler } from '@modelcontextprotocol/node';
import { createMcpHandler, isInitializeRequest, McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { summaryPrompt } from '../../runtime/src/capabilities/bundled/prompts.js';
import { DOCUMENTS } from '../../runtime/src/tools/catalog/documents.js';
import { announceReady, failStartup } from './hooks.js';

const documentIndex = DOCUMENTS.map((document) => `${document.id}: ${document.title}`).join('\n');

/**
 * The plain SDK server: one `McpServer` with one tool, and the kit's `docs://documents` resource and
 * `summarize_document` prompt with the same contents (no access control, no filters), built the
 * documented way.
 */
function buildServer(): McpServer {
  const server = new McpServer({ name: 'bench-plain-sdk', version: '1.0.0' });
  server.registerTool(
    'echo',
    { description: 'Returns the text it was given.', inputSchema: z.object({ text: z.string() }) },
    async ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerResource('documents', 'docs://documents', { title: 'Documents', mimeType: 'text/plain' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: documentIndex }],
  }));
  server.registerPrompt(
    'summarize_document',
    { description: 'Asks for a short summary of one internal document.', argsSchema: z.object({ id: z.string(), audience: z.string().optional() }) },
    ({ id, audience }) => summaryPrompt(id, audience),
  );
  return server;
}

const handler = createMcpHandler(buildServer);
const standard = toNodeHandler(handler);
const validateHost = localhostHostValidation();
const validateOrigin = localhostOriginValidation();

const sessions = new Map<string, NodeStreamableHTTPServerTransport>();

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function sessionful(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = req.method === 'POST' ? await readJson(req) : undefined;
  const sid = req.headers['mcp-session-id'];
  const existing = typeof sid === 'string' ? sessions.get(sid) : undefined;
  if (existing) {
    await existing.handleRequest(req, res, body);
  } else if (sid === undefined && isInitializeRequest(body)) {
    const transport = new NodeStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, transport);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await buildServer().connect(transport);
    await transport.handleRequest(req, res, body);
  } else {
    res.writeHead(sid === undefined ? 400 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: sid === undefined ? -32000 : -32001, message: 'Session not found' }, id: null }));
  }
}

try {
  const server = createServer((req, res) => {
    if (!validateHost(req, res) || !validateOrigin(req, res)) return;
    const path = (req.url ?? '/').split('?', 1)[0];
    const serve = path === '/mcp-sessionful' ? sessionful(req, res) : standard(req, res);
    serve.catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  announceReady((server.address() as AddressInfo).port, async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await handler.close();
    for (const transport of sessions.values()) await transport.close();
  });
} catch (error) {
  failStartup(error);
}
