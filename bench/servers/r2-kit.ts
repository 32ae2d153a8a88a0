/**
 * R2: the kit's server with everything on, started the way `runtime/test/harness.ts` starts it:
 * configuration from the development environment (`devEnvironment` + `loadConfig`, computed by the
 * parent), a session store on the dynalite endpoint of the deps process, and `startApp` with the
 * default catalog plus the benchmark's echo tool. Tokens are verified against the dev issuer's JWKS
 * (fetched over HTTP), legacy sessions live in dynalite, spans go over OTLP/HTTP to the sink the
 * parent binds, access logs and EMF metrics go to a file.
 *
 * The runtime is loaded from BENCH_RUNTIME: the folder of the runtime compiled with
 * `runtime/tsconfig.build.json` (as the container image runs it), or `src` for the TypeScript
 * sources through tsx.
 *
 * Environment (set by bench/run.ts): BENCH_RUNTIME, BENCH_ENV (the server's environment variables,
 * JSON), BENCH_STORE (JSON: dynalite endpoint and credentials), BENCH_LOG_FILE.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as AppModule from '../../runtime/src/app.js';
import type * as ConfigModule from '../../runtime/src/config/index.js';
import type * as CatalogModule from '../../runtime/src/tools/catalog/index.js';
import { echoTool } from './echo-tool.js';
import { announceReady, failStartup } from './hooks.js';

interface StoreAccess {
  readonly endpoint: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function runtimeModule<T>(path: string): Promise<T> {
  const root = required('BENCH_RUNTIME');
  if (root === 'src') return (await import(`../../runtime/src/${path}.js`)) as T;
  return (await import(pathToFileURL(join(root, `${path}.js`)).href)) as T;
}

try {
  const { createSessionStore, startApp } = await runtimeModule<typeof AppModule>('app');
  const { loadConfig } = await runtimeModule<typeof ConfigModule>('config/index');
  const { DEFAULT_TOOLS } = await runtimeModule<typeof CatalogModule>('tools/catalog/index');
  const config = loadConfig(JSON.parse(required('BENCH_ENV')) as Record<string, string>);
  const store = JSON.parse(required('BENCH_STORE')) as StoreAccess;
  const logStream = createWriteStream(required('BENCH_LOG_FILE'), { flags: 'w' });
  const sessions = createSessionStore(config, { endpoint: store.endpoint, credentials: store.credentials });
  const storeClient = { endpoint: store.endpoint, credentials: store.credentials };
  const app = await startApp(config, { tools: [...DEFAULT_TOOLS, echoTool], sessions, logStream, storeClient });
  announceReady(app.port, async () => {
    await app.close();
    sessions.close();
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
  });
} catch (error) {
  failStartup(error);
}
