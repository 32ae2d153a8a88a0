import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A loopback https server for client metadata documents, with a fresh self-signed certificate (openssl). Tests only. */
export class DocumentServer {
  readonly ca: string;
  readonly #server: Server;
  /** What to answer per path: a status, headers, a body, or `hang` to never answer. */
  routes = new Map<string, { status?: number; headers?: Record<string, string>; body?: string; hang?: boolean }>();
  requests = 0;
  origin = '';

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'cimd-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      this.ca = readFileSync(join(dir, 'cert.pem'), 'utf8');
      const key = readFileSync(join(dir, 'key.pem'), 'utf8');
      this.#server = createServer({ cert: this.ca, key }, (req, res) => {
        this.requests += 1;
        const route = this.routes.get(req.url ?? '');
        if (!route) return void res.writeHead(404).end();
        if (route.hang) return;
        res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers }).end(route.body ?? '');
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.origin = `https://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  /** Serves a document whose client_id is its own URL (unless `override` says otherwise). */
  serve(path: string, document: Record<string, unknown> = {}, extra: { headers?: Record<string, string> } = {}): string {
    const url = `${this.origin}${path}`;
    this.routes.set(path, { body: JSON.stringify({ client_id: url, client_name: 'Document client', redirect_uris: ['http://127.0.0.1:33418/callback'], ...document }), ...extra });
    return url;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}
