import { PassThrough } from 'node:stream';
import { createSessionStore, startApp, type App, type AppOverrides } from '../src/app.js';
import { loadConfig, type RuntimeConfig } from '../src/config/index.js';
import { devEnvironment, freePort } from '../src/dev/environment.js';
import { requestDevToken, startDevIssuer, type DevIssuer } from '../src/dev/issuer.js';
import { brokerCallback, devBroker } from '../src/dev/sign-in.js';
import { DEV_AWS_ENVIRONMENT, startDevStore, type DevStore } from '../src/dev/store.js';
import type { DynamoSessionStore } from '../src/session/index.js';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { catalogScopes } from '../src/tools/registry.js';
import type { ToolDefinition } from '../src/tools/definition.js';
import { CapabilityCatalog, DEFAULT_CAPABILITIES, type CapabilityDeclarations } from '../src/capabilities/index.js';
import { generateRequestStateKey } from '../src/input/index.js';

/** Everything a test needs: the real dev issuer, real dynalite, and N real server instances on loopback. */
export interface Kit {
  readonly issuer: DevIssuer;
  readonly store: DevStore;
  /** One store per instance with `isolatedStores`, else one shared store. */
  readonly stores: DevStore[];
  readonly apps: App[];
  /** The first instance's endpoint URL. */
  readonly url: string;
  readonly resource: string;
  readonly config: RuntimeConfig;
  /** Every log line (JSON) the instances wrote. */
  readonly logs: string[];
  /** The broker's private signing key (JWK text) when it is on: lets attack tests forge near-miss tokens. */
  readonly brokerSigningKey?: string;
  token(request?: { sub?: string; scopes?: readonly string[]; groups?: readonly string[]; resource?: string; ttlSeconds?: number }): Promise<string>;
  close(): Promise<void>;
}

export interface KitOptions {
  readonly instances?: number;
  readonly tools?: readonly ToolDefinition[];
  /** The resources, templates and prompts to serve. @default DEFAULT_CAPABILITIES */
  readonly capabilities?: CapabilityDeclarations;
  /** Extra environment variables for every instance. */
  readonly env?: Record<string, string>;
  /** Extra environment variables of one instance (after `env`), e.g. its region and that region's signing key. */
  readonly instanceEnv?: (index: number) => Record<string, string>;
  readonly overrides?: Omit<AppOverrides, 'tools' | 'sessions' | 'logStream'>;
  /** Give every instance its own store, as two regions look before replication catches up. */
  readonly isolatedStores?: boolean;
  /** Turn on the kit's sign-in (authorization server) in front of the dev issuer's interactive login. */
  readonly broker?: boolean;
  /** Where an instance reaches its store, given the dev store's endpoint (e.g. through a relay that can fail). @default the dev store itself */
  readonly routeStore?: (endpoint: string, index: number) => Promise<string>;
}

/** The store an instance with `config` builds, pointed explicitly at a dev store (instances of one process may use different ones). */
export function newStore(store: DevStore, config: RuntimeConfig): DynamoSessionStore {
  return createSessionStore(config, {
    endpoint: store.endpoint,
    credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
  });
}

/** Starts a kit on loopback with fresh ports. */
export async function startKit(options: KitOptions = {}): Promise<Kit> {
  const tools = options.tools ?? DEFAULT_TOOLS;
  const instances = options.instances ?? 1;
  const ports: number[] = [];
  for (let index = 0; index < instances; index += 1) ports.push(await freePort());
  const resource = `http://127.0.0.1:${ports[0]}/mcp`;
  const capabilities = options.capabilities ?? DEFAULT_CAPABILITIES;
  const scopes = [...new Set([...catalogScopes(tools), ...new CapabilityCatalog(capabilities).scopes])].sort();
  const store = await startDevStore(`sessions-${ports[0]}`);
  const devStores = [store];
  if (options.isolatedStores) for (let index = 1; index < instances; index += 1) devStores.push(await startDevStore(`sessions-${ports[index]}`));
  const issuer = await startDevIssuer({ resources: [resource], scopes, brokerRedirectUris: [brokerCallback(resource)] });
  const broker = options.broker ? await devBroker(issuer) : undefined;
  const logs: string[] = [];
  // Every instance shares one requestState key, as a deployment's tasks share the secret.
  const requestStateKey = generateRequestStateKey();
  const apps: App[] = [];
  const stores: DynamoSessionStore[] = [];
  let config: RuntimeConfig | undefined;
  for (const [index, port] of ports.entries()) {
    const devStore = devStores[index] ?? store;
    const instanceStore = options.routeStore ? { ...devStore, endpoint: await options.routeStore(devStore.endpoint, index) } : devStore;
    const env = {
      ...devEnvironment({ issuer: issuer.issuer, port, ports, storeEndpoint: instanceStore.endpoint, tableName: instanceStore.tableName, requestStateKey, ...(broker ? { broker } : {}) }),
      ...options.env,
      ...options.instanceEnv?.(index),
    };
    const instanceConfig = loadConfig(env);
    config ??= instanceConfig;
    const logStream = new PassThrough();
    let buffered = '';
    logStream.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline = buffered.indexOf('\n');
      while (newline >= 0) {
        logs.push(buffered.slice(0, newline));
        buffered = buffered.slice(newline + 1);
        newline = buffered.indexOf('\n');
      }
    });
    const sessions = newStore(instanceStore, instanceConfig);
    stores.push(sessions);
    const storeClient = { endpoint: instanceStore.endpoint, credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY } };
    apps.push(await startApp(instanceConfig, { ...options.overrides, tools, capabilities, sessions, logStream, storeClient }));
  }
  return {
    issuer,
    store,
    stores: devStores,
    apps,
    url: apps[0]!.url,
    resource,
    config: config!,
    logs,
    ...(broker ? { brokerSigningKey: broker.signingKey } : {}),
    token: async (request = {}) =>
      (
        await requestDevToken(issuer, {
          sub: request.sub ?? 'alice',
          scopes: request.scopes ?? scopes,
          ...(request.groups ? { groups: request.groups } : { groups: ['staff', 'analysts'] }),
          resource: request.resource ?? resource,
          ...(request.ttlSeconds ? { ttlSeconds: request.ttlSeconds } : {}),
        })
      ).accessToken,
    close: async () => {
      for (const app of apps) await app.close();
      for (const sessions of stores) sessions.close();
      await issuer.close();
      for (const devStore of devStores) await devStore.close();
    },
  };
}

/** A raw JSON-RPC POST as a 2025-era client sends it. */
export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string; json: () => unknown }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => parseMaybeSse(text) };
}

/** Parses a JSON body, or the first `data:` frame of an SSE body. */
export function parseMaybeSse(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return JSON.parse(trimmed);
  const data = trimmed.split('\n').find((line) => line.startsWith('data:'));
  return data ? JSON.parse(data.slice(5)) : undefined;
}

export const INITIALIZE = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw-test', version: '1.0.0' } },
} as const;

/**
 * Waits, when the clock is within `marginMs` of the end of a minute, for the next minute: the
 * per-principal rate limit counts in windows of the clock minute, and a test that counts requests
 * must not straddle two.
 */
export async function awayFromMinuteBoundary(marginMs = 15_000): Promise<void> {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 60_000 - marginMs) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 100));
}
