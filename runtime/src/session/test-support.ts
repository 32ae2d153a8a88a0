// Shared by this folder's tests and the session store benchmark: an in-memory DynamoDB (dynalite)
// on loopback, reached through the real SDK client over real HTTP.
import { createRequire } from 'node:module';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Principal } from '../auth/principal.js';
import { createSessionStoreClient } from './client.js';
import { createSessionTable } from './create-table.js';
import { DynamoSessionStore, type DynamoSessionStoreOptions } from './dynamo-store.js';

type DynaliteFactory = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;

const require = createRequire(import.meta.url);

/** Credentials dynalite accepts (it checks the signature's shape, not the keys). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/** A running dynalite server with the session table created. */
export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly tableName: string;
  /** A client on `endpoint` with the store's defaults. */
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/** Starts dynalite on a free loopback port and creates the session table in it. */
export async function startLocalDynamo(tableName = 'mcp-sessions'): Promise<LocalDynamo> {
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createSessionStoreClient({ region: 'eu-west-1', endpoint, credentials: LOCAL_CREDENTIALS });
  await createSessionTable(client, tableName);
  return {
    endpoint,
    tableName,
    client,
    async close() {
      client.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A principal of the test issuer. */
export function testPrincipal(subject: string, issuer = 'https://issuer.test'): Principal {
  return { issuer, subject, clientId: 'test-client', scopes: [], groups: [], expiresAt: 4_102_444_800 };
}

/** A clock the test moves by hand (epoch milliseconds). */
export class ManualClock {
  now: number;
  constructor(start = Date.UTC(2026, 0, 1)) {
    this.now = start;
  }
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

/**
 * A client on the local table that records the name of every command it sends (SDK middleware,
 * observing real calls), for tests that count the store's round trips.
 */
export function countingClient(local: Pick<LocalDynamo, 'endpoint'>): { client: DynamoDBClient; calls: string[] } {
  const client = createSessionStoreClient({ region: 'eu-west-1', endpoint: local.endpoint, credentials: LOCAL_CREDENTIALS });
  const calls: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      calls.push(String(context.commandName).replace(/Command$/, ''));
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return { client, calls };
}

/** Session stores a suite builds on local tables, all closed at once by `closeAll` (in its `after` hook). */
export function sessionStores(defaults: Partial<DynamoSessionStoreOptions> = {}): {
  on(local: LocalDynamo, options?: Partial<DynamoSessionStoreOptions>): DynamoSessionStore;
  closeAll(): void;
} {
  const stores: DynamoSessionStore[] = [];
  return {
    on(local, options = {}) {
      const store = new DynamoSessionStore({ tableName: local.tableName, client: local.client, ...defaults, ...options });
      stores.push(store);
      return store;
    },
    closeAll() {
      for (const store of stores.splice(0)) store.close();
    },
  };
}
