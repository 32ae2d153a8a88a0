// The kit the soak drives: the real dev issuer (oidc-provider) and one server instance in this
// process, and dynalite on loopback (in a child process by default, see `store-process.ts`). Unlike
// the test harness it keeps no log lines: a soak writes tens of thousands of them, and keeping them
// would be the biggest growth in the process.
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { importJWK, SignJWT } from 'jose';
import { createSessionStore, startApp, type App } from '../../runtime/src/app.js';
import { loadConfig, type RuntimeConfig } from '../../runtime/src/config/index.js';
import { devEnvironment, freePort } from '../../runtime/src/dev/environment.js';
import { requestDevToken, startDevIssuer, type DevIssuer } from '../../runtime/src/dev/issuer.js';
import { DEV_AWS_ENVIRONMENT, startDevStore, type DevStore } from '../../runtime/src/dev/store.js';
import type { DynamoSessionStore } from '../../runtime/src/session/index.js';
import type { ToolDefinition } from '../../runtime/src/tools/definition.js';
import { catalogScopes } from '../../runtime/src/tools/registry.js';

/** Counts log lines by level, and ERROR lines by where, tool and cause; keeps no line. */
export class LogCounter extends Writable {
  lines = 0;
  errors = 0;
  warnings = 0;
  /** ERROR lines by `where / tool / cause name: message` (message cut short). */
  readonly errorKinds = new Map<string, number>();

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const text = chunk.toString('utf8');
    for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) this.lines += 1;
    if (text.includes('"level":"WARN"')) this.warnings += 1;
    if (text.includes('"level":"ERROR"')) {
      for (const line of text.split('\n')) {
        if (!line.includes('"level":"ERROR"')) continue;
        this.errors += 1;
        let kind = 'unparsed';
        try {
          const record = JSON.parse(line) as { where?: string; tool?: string; error?: { name?: string; message?: string } };
          kind = [record.where ?? '-', record.tool ?? '-', `${record.error?.name ?? '-'}: ${(record.error?.message ?? '').slice(0, 60)}`].join(' / ');
        } catch {
          // counted as unparsed
        }
        this.errorKinds.set(kind, (this.errorKinds.get(kind) ?? 0) + 1);
      }
    }
    callback();
  }
}

export interface SoakKit {
  readonly app: App;
  readonly issuer: DevIssuer;
  readonly store: DevStore;
  readonly config: RuntimeConfig;
  readonly url: URL;
  readonly resource: string;
  readonly scopes: readonly string[];
  readonly logs: LogCounter;
  token(request: { sub: string; scopes?: readonly string[]; groups?: readonly string[]; resource?: string }): Promise<string>;
  /** A token signed with the issuer's own key whose `exp` lies `secondsAgo` in the past. */
  expiredToken(sub: string, secondsAgo: number): Promise<string>;
  /**
   * A valid token (all scopes, 10 minutes) signed with the issuer's own key, unique per call: the
   * server has never seen it, so it verifies the signature instead of answering from its token cache.
   */
  freshToken(sub: string): Promise<string>;
  close(): Promise<void>;
}

/** Starts dynalite in a child process (see `store-process.ts` for why). */
async function startStoreProcess(tableName: string): Promise<DevStore> {
  const child = fork(fileURLToPath(new URL('./store-process.ts', import.meta.url)), [tableName], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(() => {
      throw new Error('the store process exited before it was ready');
    }),
  ])) as [{ endpoint: string; tableName: string }];
  return {
    endpoint: ready.endpoint,
    tableName: ready.tableName,
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.send('close');
      await exited;
    },
  };
}

export interface SoakKitOptions {
  /** Extra environment of the server instance. */
  readonly env?: Record<string, string>;
  /** Run dynalite in this process, as the test harness does (its own memory then counts too). @default false */
  readonly storeInProcess?: boolean;
}

/** Starts issuer, store and one server instance on fresh loopback ports. */
export async function startSoakKit(tools: readonly ToolDefinition[], options: SoakKitOptions = {}): Promise<SoakKit> {
  const env = options.env ?? {};
  const port = await freePort();
  const resource = `http://127.0.0.1:${port}/mcp`;
  const scopes = catalogScopes(tools);
  const store = options.storeInProcess ? await startDevStore(`soak-${port}`) : await startStoreProcess(`soak-${port}`);
  const issuer = await startDevIssuer({ resources: [resource], scopes });
  const config = loadConfig({
    ...devEnvironment({ issuer: issuer.issuer, port, ports: [port], storeEndpoint: store.endpoint, tableName: store.tableName }),
    ...env,
  });
  const logs = new LogCounter();
  const sessions: DynamoSessionStore = createSessionStore(config, {
    endpoint: store.endpoint,
    credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
  });
  const app = await startApp(config, { tools, sessions, logStream: logs });
  const signingKey = await importJWK(issuer.signingKey as Parameters<typeof importJWK>[0], 'ES256');
  return {
    app,
    issuer,
    store,
    config,
    url: new URL(app.url),
    resource,
    scopes,
    logs,
    token: async (request) =>
      (
        await requestDevToken(issuer, {
          sub: request.sub,
          scopes: request.scopes ?? scopes,
          groups: request.groups ?? [],
          resource: request.resource ?? resource,
        })
      ).accessToken,
    expiredToken: async (sub, secondsAgo) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: scopes.join(' '), client_id: issuer.clientId, sub })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuer.signingKey.kid as string })
        .setIssuer(issuer.issuer)
        .setAudience(resource)
        .setIssuedAt(now - secondsAgo - 600)
        .setExpirationTime(now - secondsAgo)
        .sign(signingKey);
    },
    freshToken: async (sub) => {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ scope: scopes.join(' '), client_id: issuer.clientId, sub, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: issuer.signingKey.kid as string })
        .setIssuer(issuer.issuer)
        .setAudience(resource)
        .setIssuedAt(now)
        .setExpirationTime(now + 600)
        .sign(signingKey);
    },
    close: async () => {
      await app.close();
      sessions.close();
      await issuer.close();
      await store.close();
    },
  };
}
