import { parseArgs } from 'node:util';
import { DEFAULT_DEV_PORT } from './banner.js';
import { findDevState, runningDevPorts, type DevState } from './state.js';
import { requestDevToken } from './token-request.js';

function noServer(port: number, stale: boolean): Error {
  const running = runningDevPorts();
  const why = stale ? ` (the state file of an earlier run was left behind and is now removed)` : '';
  const elsewhere = running.length === 0 ? '' : ` A dev server runs on port${running.length > 1 ? 's' : ''} ${running.join(', ')}: pass --port ${running[0]}.`;
  const start = port === DEFAULT_DEV_PORT ? 'npm run dev' : `npm run dev -- --port ${port}`;
  return new Error(`no dev server is running on port ${port}${why}. Start one with: ${start}.${elsewhere}`);
}

function devState(port: number): DevState {
  const found = findDevState(port);
  if (!found || 'stale' in found) throw noServer(port, found !== undefined);
  return found.state;
}

/**
 * `npm run dev:token -- --sub alice [--scope "a b"] [--groups x,y] [--resource URL] [--ttl seconds] [--port N]`
 * prints only an access token from the running dev issuer. Without `--scope`, every scope the dev
 * catalog defines. `--resource` asks for a token meant for another resource (the server refuses it).
 * `--port` is the port of any instance of the dev server (default 3000).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string' },
      groups: { type: 'string' },
      resource: { type: 'string' },
      ttl: { type: 'string' },
      port: { type: 'string', default: String(DEFAULT_DEV_PORT) },
    },
    strict: true,
  });
  if (!values.sub) throw new Error('--sub is required (e.g. --sub alice)');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`--port must be 1..65535 (got "${values.port}")`);
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)) throw new Error(`--ttl must be 1..86400 seconds (got "${values.ttl}")`);
  const state = devState(port);
  let accessToken: string;
  try {
    ({ accessToken } = await requestDevToken(state, {
      sub: values.sub,
      scopes: values.scope === undefined ? state.scopes : values.scope.split(' ').filter((scope) => scope.length > 0),
      ...(values.groups ? { groups: values.groups.split(',') } : {}),
      resource: values.resource ?? state.resource,
      ...(ttl ? { ttlSeconds: ttl } : {}),
    }));
  } catch (error) {
    // fetch failed: the run that wrote the state is alive but its issuer does not answer.
    if (error instanceof TypeError) throw new Error(`the dev server on port ${port} does not answer (its issuer ${state.issuer} refused the connection). Restart it with: npm run dev`);
    throw error;
  }
  process.stdout.write(`${accessToken}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev:token failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
