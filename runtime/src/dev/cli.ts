import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_TOOLS } from '../tools/catalog/index.js';
import { catalogScopes } from '../tools/registry.js';
import { devEnvironment, freePort, writeDevState } from './environment.js';
import { startDevIssuer } from './issuer.js';
import { brokerCallback, clientSetupLines, devBroker } from './sign-in.js';
import { startDevStore } from './store.js';

/**
 * `npm run dev [-- --port N] [--instances N]`: the embedded OpenID issuer and DynamoDB-compatible
 * store in this process, and N server processes (the production entry point) on consecutive ports,
 * all on loopback and in memory.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '3000' }, instances: { type: 'string', default: '1' } },
    strict: true,
  });
  const basePort = Number(values.port);
  const instances = Number(values.instances);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65535) throw new Error(`--port must be 0..65535 (got "${values.port}")`);
  if (!Number.isInteger(instances) || instances < 1 || instances > 8) throw new Error(`--instances must be 1..8 (got "${values.instances}")`);

  const ports: number[] = [];
  for (let index = 0; index < instances; index += 1) ports.push(basePort === 0 ? await freePort() : basePort + index);
  const resource = `http://127.0.0.1:${ports[0]}/mcp`;
  const scopes = catalogScopes(DEFAULT_TOOLS);

  const store = await startDevStore();
  const issuer = await startDevIssuer({ resources: [resource], scopes, brokerRedirectUris: [brokerCallback(resource)] });
  const broker = await devBroker(issuer);
  const children: ChildProcess[] = [];
  const entry = fileURLToPath(new URL('../main.ts', import.meta.url));
  for (const port of ports) {
    const env = { ...process.env, ...devEnvironment({ issuer: issuer.issuer, port, ports, storeEndpoint: store.endpoint, tableName: store.tableName, broker }) };
    children.push(spawn(process.execPath, ['--import', 'tsx', entry], { env, stdio: ['ignore', 'inherit', 'inherit'] }));
  }

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await issuer.close();
    await store.close();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const child of children) child.once('exit', (code) => void stop(code ?? 1));

  await Promise.all(ports.map((port) => waitForHealth(port)));
  const statePath = writeDevState(ports[0]!, {
    issuer: issuer.issuer,
    tokenEndpoint: issuer.tokenEndpoint,
    clientId: issuer.clientId,
    clientSecret: issuer.clientSecret,
    resource,
    scopes,
    endpoints: ports.map((port) => `http://127.0.0.1:${port}/mcp`),
  });
  const portFlag = ports[0] === 3000 ? '' : ` --port ${ports[0]}`;
  const lines = [
    ...ports.map((port) => `MCP endpoint: http://127.0.0.1:${port}/mcp`),
    `OpenID issuer: ${issuer.issuer} (embedded, loopback only)`,
    `Session store: ${store.endpoint} (embedded dynalite, in memory)`,
    '',
    ...clientSetupLines(resource),
    '',
    'Or get an access token for scripts (every dev scope unless --scope is given):',
    `  npm run -s dev:token -- --sub alice --groups staff${portFlag}`,
    'Then, for example:',
    `  TOKEN=$(npm run -s dev:token -- --sub alice --groups staff${portFlag})`,
    `  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \\`,
    `    -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' -i ${resource}`,
    `Dev state (issuer URL and dev client secret, mode 0600): ${statePath}`,
    'Press Ctrl+C to stop.',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function waitForHealth(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the server on port ${port} did not become healthy within 30 s`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
