import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { createSessionStoreClient, createSessionTable } from '../session/index.js';

/** A running in-memory DynamoDB-compatible endpoint (dynalite) on loopback, with the session table created. */
export interface DevStore {
  readonly endpoint: string;
  readonly tableName: string;
  close(): Promise<void>;
}

/** Credentials dynalite accepts; nothing else does. Used only when none are configured. */
export const DEV_AWS_ENVIRONMENT = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'local-1' } as const;

/**
 * Starts dynalite in memory on 127.0.0.1 and creates the session table through the real DynamoDB API.
 *
 * @param tableName - @default 'mcp-sessions'
 */
export async function startDevStore(tableName = 'mcp-sessions'): Promise<DevStore> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = createSessionStoreClient({
    endpoint,
    region: DEV_AWS_ENVIRONMENT.AWS_REGION,
    credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
  });
  try {
    await createSessionTable(client, tableName);
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    tableName,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
