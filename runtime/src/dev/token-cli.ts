import { parseArgs } from 'node:util';
import { readDevState } from './environment.js';
import { requestDevToken } from './token-request.js';

/**
 * `npm run dev:token -- --sub alice [--scope "a b"] [--groups x,y] [--resource URL] [--ttl seconds] [--port N]`
 * prints only an access token from the running dev issuer. Without `--scope`, every scope the dev
 * catalog defines. `--resource` asks for a token meant for another resource (the server refuses it).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string' },
      groups: { type: 'string' },
      resource: { type: 'string' },
      ttl: { type: 'string' },
      port: { type: 'string', default: '3000' },
    },
    strict: true,
  });
  if (!values.sub) throw new Error('--sub is required (e.g. --sub alice)');
  let state;
  try {
    state = readDevState(Number(values.port));
  } catch {
    throw new Error(`no dev server found for port ${values.port}: start it with npm run dev`);
  }
  const ttl = values.ttl === undefined ? undefined : Number(values.ttl);
  if (ttl !== undefined && (!Number.isInteger(ttl) || ttl < 1 || ttl > 86_400)) throw new Error(`--ttl must be 1..86400 seconds (got "${values.ttl}")`);
  const { accessToken } = await requestDevToken(state, {
    sub: values.sub,
    scopes: values.scope === undefined ? state.scopes : values.scope.split(' ').filter((scope) => scope.length > 0),
    ...(values.groups ? { groups: values.groups.split(',') } : {}),
    resource: values.resource ?? state.resource,
    ...(ttl ? { ttlSeconds: ttl } : {}),
  });
  process.stdout.write(`${accessToken}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`dev:token failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
