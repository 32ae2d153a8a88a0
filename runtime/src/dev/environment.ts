import { createServer } from 'node:net';
import { generateRequestStateKey } from '../input/codec.js';
import { DEV_AWS_ENVIRONMENT } from './store.js';

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

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * Finds `count` consecutive free loopback ports: a free port from the system, then checks the ones
 * after it, a few times over. As with {@link freePort}, another program may take one before the
 * servers bind it; the server that loses then says so.
 *
 * @throws when no such run was found after 20 tries.
 */
export async function consecutiveFreePorts(count: number): Promise<number[]> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const first = await freePort();
    if (first + count - 1 > 65_535) continue;
    const ports = Array.from({ length: count }, (_, index) => first + index);
    let free = true;
    for (const port of ports.slice(1)) {
      if (!(await portIsFree(port))) {
        free = false;
        break;
      }
    }
    if (free) return ports;
  }
  throw new Error(`found no ${count} consecutive free ports on 127.0.0.1: pass --port N`);
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
  /**
   * The `requestState` key (base64 of 32 bytes). Instances that serve one fleet must share it.
   * @default - a new random key (fine for one instance)
   */
  readonly requestStateKey?: string;
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
    MCP_REQUEST_STATE_KEY: options.requestStateKey ?? generateRequestStateKey(),
    ...(options.broker
      ? {
          MCP_BROKER: 'on',
          MCP_BROKER_UPSTREAM_ISSUER: options.issuer,
          MCP_BROKER_UPSTREAM_CLIENT_ID: options.broker.clientId,
          MCP_BROKER_UPSTREAM_CLIENT_SECRET: options.broker.clientSecret,
          MCP_BROKER_UPSTREAM_SCOPES: 'openid,profile,groups',
          MCP_BROKER_SIGNING_KEY: options.broker.signingKey,
          // Client metadata documents on https://127.0.0.1 or https://localhost, trusted through NODE_EXTRA_CA_CERTS.
          MCP_BROKER_CIMD_ALLOW_LOOPBACK: 'on',
        }
      : {}),
  };
}
