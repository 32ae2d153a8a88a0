/**
 * R2: the kit's server with everything on, started the way `runtime/test/harness.ts` starts it:
 * configuration from the development environment (`devEnvironment` + `loadConfig`), a session store
 * on the dynalite endpoint of the deps process, and `startApp` with the default catalog plus the
 * benchmark's echo tool. Tokens are verified against the dev issuer's JWKS (fetched over HTTP),
 * legacy sessions live in dynalite, X-Ray segments go over UDP to the sink the parent binds, access
 * logs and EMF metrics go to a file.
 *
 * Environment (set by bench/run.ts): BENCH_PORT, BENCH_DEPS (JSON from the deps process),
 * BENCH_XRAY (host:port of the UDP sink), BENCH_LOG_FILE.
 * Only change from the defaults: MCP_RATE_LIMIT_PER_MINUTE is raised, because every benchmark
 * principal sends thousands of requests a minute; the limiter still runs on every request.
 */
import { createWriteStream } from 'node:fs';
import { createSessionStore, startApp } from '../../runtime/src/app.js';
import { loadConfig } from '../../runtime/src/config/index.js';
import { devEnvironment } from '../../runtime/src/dev/environment.js';
import { DEV_AWS_ENVIRONMENT } from '../../runtime/src/dev/store.js';
import { DEFAULT_TOOLS } from '../../runtime/src/tools/catalog/index.js';
import { echoTool } from './echo-tool.js';
import { announceReady, failStartup } from './hooks.js';

interface Deps {
  readonly issuer: string;
  readonly storeEndpoint: string;
  readonly tableName: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

try {
  const port = Number(required('BENCH_PORT'));
  const deps = JSON.parse(required('BENCH_DEPS')) as Deps;
  const env = {
    ...devEnvironment({ issuer: deps.issuer, port, ports: [port], storeEndpoint: deps.storeEndpoint, tableName: deps.tableName }),
    AWS_XRAY_DAEMON_ADDRESS: required('BENCH_XRAY'),
    MCP_RATE_LIMIT_PER_MINUTE: '1000000',
    POWERTOOLS_SERVICE_NAME: 'enterprise-mcp-bench',
  };
  const config = loadConfig(env);
  const logStream = createWriteStream(required('BENCH_LOG_FILE'), { flags: 'w' });
  const sessions = createSessionStore(config, {
    endpoint: deps.storeEndpoint,
    credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
  });
  const app = await startApp(config, { tools: [...DEFAULT_TOOLS, echoTool], sessions, logStream });
  announceReady(app.port, async () => {
    await app.close();
    sessions.close();
    await new Promise<void>((resolve) => logStream.end(() => resolve()));
  });
} catch (error) {
  failStartup(error);
}
