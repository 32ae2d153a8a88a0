import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ownerKey } from '../auth/index.js';
import { identifierHasher } from '../observability/index.js';
import { DEFAULT_TOOLS } from '../tools/catalog/index.js';
import { catalogScopes } from '../tools/registry.js';
import { DEFAULT_DEV_PORT, devBanner } from './banner.js';
import { consecutiveFreePorts, devEnvironment } from './environment.js';
import { generateRequestStateKey } from '../input/index.js';
import { DevInstances } from './instances.js';
import { startDevIssuer } from './issuer.js';
import { DevOutput, type DevLogMode } from './output.js';
import { brokerCallback, clientSetupLines, devBroker } from './sign-in.js';
import { ensureDevStateFolder, removeDevState, writeDevState } from './state.js';
import { startDevStore } from './store.js';

/** Users named in request lines, at most this many (a dev session names a handful). */
const MAX_NAMED_USERS = 1_000;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEFAULT_DEV_PORT) },
      instances: { type: 'string', default: '1' },
      logs: { type: 'string', default: process.env.MCP_DEV_LOGS ?? 'file' },
    },
    strict: true,
  });
  const basePort = Number(values.port);
  const instances = Number(values.instances);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535) throw new Error(`--port must be 0..65535 (got "${values.port}")`);
  if (!Number.isInteger(instances) || instances < 1 || instances > 8) throw new Error(`--instances must be 1..8 (got "${values.instances}")`);
  if (basePort + instances - 1 > 65535) throw new Error(`--port ${basePort} leaves no room for ${instances} consecutive ports`);
  if (values.logs !== 'file' && values.logs !== 'terminal') throw new Error(`--logs (or MCP_DEV_LOGS) must be file or terminal (got "${values.logs}")`);
  return { basePort, instances, logs: values.logs as DevLogMode };
}

/**
 * `npm run dev [-- --port N] [--instances N] [--logs file|terminal]`: the embedded OpenID issuer
 * and DynamoDB-compatible store in this process, and N server processes (the production entry
 * point) on consecutive ports, all on loopback and in memory. The banner is printed only once every
 * instance has reported, over its IPC channel, the port it bound; then one line per request.
 */
async function main(): Promise<void> {
  const { basePort, instances, logs } = parseOptions();
  const ports = basePort === 0 ? await consecutiveFreePorts(instances) : Array.from({ length: instances }, (_, index) => basePort + index);
  const resource = `http://127.0.0.1:${ports[0]}/mcp`;
  const scopes = catalogScopes(DEFAULT_TOOLS);

  // Request lines name the users the dev issuer issued tokens to (the records carry only a hash).
  const hashOf = identifierHasher(undefined);
  const users = new Map<string, string>();
  const output = new DevOutput({
    mode: logs,
    logFile: join(ensureDevStateFolder(), `dev-${ports[0]}.log`),
    userOf: (hash) => users.get(hash),
  });

  const store = await startDevStore();
  const issuer = await startDevIssuer({ resources: [resource], scopes, brokerRedirectUris: [brokerCallback(resource)] });
  const broker = await devBroker(issuer);
  // One requestState key for every instance: a round sealed by one is opened by any other.
  const requestStateKey = generateRequestStateKey();
  // A token reaches the server from the dev issuer (dev:token) or from the kit's broker (a stock
  // client's sign-in, with the upstream subject): either issuer may own a request.
  const owners = [issuer.issuer, new URL(resource).origin];
  issuer.onTokenIssued((subject) => {
    for (const owner of owners) if (users.size < MAX_NAMED_USERS) users.set(hashOf(ownerKey({ issuer: owner, subject })), subject);
  });

  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> =>
    (stopping ??= (async () => {
      removeDevState(ports);
      await fleet.stop();
      await issuer.close();
      await store.close();
      await output.close();
      process.exit(code);
    })());

  const entry = fileURLToPath(new URL('../main.ts', import.meta.url));
  const fleet = new DevInstances({
    entry,
    ports,
    environment: (port) => ({ ...process.env, ...devEnvironment({ issuer: issuer.issuer, port, ports, storeEndpoint: store.endpoint, tableName: store.tableName, broker, requestStateKey }) }),
    output,
    onAllGone: () => {
      output.say('No server instance is left; stopping.');
      void stop(1);
    },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!stopping) output.say('Stopping: the instances finish the requests in flight…');
      void stop(0);
    });
  }
  // Whatever ends this process, its state files go with it.
  process.on('exit', () => removeDevState(ports));

  try {
    await fleet.start();
  } catch (error) {
    if (stopping) return stopping;
    output.discard();
    await issuer.close();
    await store.close();
    await output.close();
    throw error;
  }
  if (stopping) return;

  const [statePath] = writeDevState(ports, {
    pid: process.pid,
    issuer: issuer.issuer,
    tokenEndpoint: issuer.tokenEndpoint,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    resource,
    scopes,
    endpoints: ports.map((port) => `http://127.0.0.1:${port}/mcp`),
    ...(output.logFile ? { logFile: output.logFile } : {}),
  });
  const banner = devBanner({
    endpoints: ports.map((port) => `http://127.0.0.1:${port}/mcp`),
    pids: fleet.pids(),
    issuer: issuer.issuer,
    store: store.endpoint,
    tools: DEFAULT_TOOLS,
    clientSetup: clientSetupLines(resource),
    port: ports[0]!,
    logFile: output.logFile,
    statePath: statePath!,
  });
  output.say(banner.join('\n'));
  output.release();
}

main().catch((error: unknown) => {
  process.stderr.write(`dev failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
