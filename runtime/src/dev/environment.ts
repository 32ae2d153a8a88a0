import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_AWS_ENVIRONMENT } from './store.js';

/** What `dev:token` needs to reach the running dev issuer. Written with mode 0600. */
export interface DevState {
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly endpoints: readonly string[];
}

/** Where the dev state of the dev server on `port` is kept. */
export function devStatePath(port: number): string {
  return join(tmpdir(), 'enterprise-mcp-kit', `dev-${port}.json`);
}

export function writeDevState(port: number, state: DevState): string {
  const path = devStatePath(port);
  mkdirSync(join(tmpdir(), 'enterprise-mcp-kit'), { recursive: true, mode: 0o700 });
  writeFileSync(path, JSON.stringify(state, null, 2), { mode: 0o600 });
  return path;
}

export function readDevState(port: number): DevState {
  return JSON.parse(readFileSync(devStatePath(port), 'utf8')) as DevState;
}

/** Finds a free loopback port (the socket is closed again; a small race is acceptable for development). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The environment of one development server instance: plain HTTP on loopback, the embedded issuer,
 * the embedded store. Every instance shares one resource URL (the first instance's), as instances
 * behind one load balancer share one public URL.
 */
export function devEnvironment(options: {
  readonly issuer: string;
  readonly port: number;
  readonly ports: readonly number[];
  readonly storeEndpoint: string;
  readonly tableName: string;
  /** The kit's sign-in in front of the dev issuer (the issuer's broker client and a shared signing key). */
  readonly broker?: { readonly clientId: string; readonly clientSecret: string; readonly signingKey: string };
}): Record<string, string> {
  const hosts = options.ports.flatMap((port) => [`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    ...DEV_AWS_ENVIRONMENT,
    AWS_ENDPOINT_URL_DYNAMODB: options.storeEndpoint,
    MCP_HOST: '127.0.0.1',
    MCP_PORT: String(options.port),
    MCP_PUBLIC_URL: `http://127.0.0.1:${options.ports[0]}/mcp`,
    MCP_ALLOWED_HOSTS: hosts.join(','),
    MCP_AUTH_PROFILE: 'oidc',
    MCP_OIDC_ISSUER: options.issuer,
    MCP_OIDC_JWKS_URL: `${options.issuer}/jwks`,
    MCP_JWT_ALGORITHMS: 'ES256',
    MCP_SESSION_TABLE: options.tableName,
    MCP_SHUTDOWN_GRACE_SECONDS: '5',
    POWERTOOLS_SERVICE_NAME: 'enterprise-mcp-dev',
    ...(options.broker
      ? {
          MCP_BROKER: 'on',
          MCP_BROKER_UPSTREAM_ISSUER: options.issuer,
          MCP_BROKER_UPSTREAM_CLIENT_ID: options.broker.clientId,
          MCP_BROKER_UPSTREAM_CLIENT_SECRET: options.broker.clientSecret,
          MCP_BROKER_UPSTREAM_SCOPES: 'openid,profile,groups',
          MCP_BROKER_SIGNING_KEY: options.broker.signingKey,
        }
      : {}),
  };
}
