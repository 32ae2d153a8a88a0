import { Agent, createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A loopback reverse proxy that adds `Authorization: Bearer <token>` to every request and forwards
 * it, unchanged otherwise, to the real server. Test profile only.
 *
 * Why it exists: the conformance suite's client does not send an Authorization header, and the kit
 * refuses every unauthenticated request. The proxy does not weaken that: the server behind it still
 * verifies every token (signature, issuer, audience, expiry, scopes) exactly as in production, and
 * the token comes from the real dev issuer. The proxy is the suite's OAuth client, nothing more.
 *
 * Host and Origin are forwarded as the client sent them, as a load balancer does, so the server's
 * own Host allowlist and Origin check still decide (the profile lists the proxy's address as the
 * public host). Request and response bodies are streamed both ways (SSE included), and a client
 * that goes away aborts the upstream request.
 */
export interface BearerProxy {
  /** The proxy's port on 127.0.0.1. */
  readonly port: number;
  /** `127.0.0.1:<port>` and `localhost:<port>`: the Host values clients of the proxy send. */
  readonly hosts: readonly string[];
  /** `http://127.0.0.1:<port>` and `http://localhost:<port>`. */
  readonly origins: readonly string[];
  /** Starts forwarding to `target` (an origin URL); until then every request is answered 503. */
  connect(target: { readonly url: string; readonly token: () => Promise<string> }): void;
  close(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1) are the proxy's own business on each side.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

function forwardedHeaders(headers: IncomingHttpHeaders, token: string): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && name !== 'authorization' && value !== undefined) out[name] = value;
  }
  out.authorization = `Bearer ${token}`;
  return out;
}

/** Starts the proxy on an ephemeral loopback port. */
export async function startBearerProxy(): Promise<BearerProxy> {
  let target: { url: URL; token: () => Promise<string> } | undefined;
  const agent = new Agent({ keepAlive: true });
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    const fail = (status: number, message: string) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(message);
    };
    if (!target) {
      fail(503, 'proxy not connected');
      return;
    }
    const { url, token } = target;
    token().then(
      (bearer) => {
        const upstream = httpRequest(
          { agent, host: url.hostname, port: url.port, method: req.method, path: req.url, headers: forwardedHeaders(req.headers, bearer) },
          (response) => {
            const headers: IncomingHttpHeaders = {};
            for (const [name, value] of Object.entries(response.headers)) if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
            res.writeHead(response.statusCode ?? 502, response.statusMessage, headers);
            res.flushHeaders();
            response.pipe(res);
            response.on('error', () => res.destroy());
          },
        );
        upstream.on('error', () => fail(502, 'upstream unreachable'));
        // A client that goes away before the answer is complete cancels the upstream request.
        res.on('close', () => {
          if (!res.writableFinished) upstream.destroy();
        });
        req.pipe(upstream);
      },
      () => fail(502, 'no token from the issuer'),
    );
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hosts: [`127.0.0.1:${port}`, `localhost:${port}`],
    origins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    connect(next) {
      target = { url: new URL(next.url), token: next.token };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      }),
  };
}
