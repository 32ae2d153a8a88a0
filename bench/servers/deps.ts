/**
 * The kit's dependencies for R2, in their own process (as in production, where they are other
 * machines): the development OpenID issuer (oidc-provider, ES256, JWKS) and the DynamoDB-compatible
 * store (dynalite in memory) with the session table, both on loopback.
 *
 *   BENCH_RESOURCE=http://127.0.0.1:<port>/mcp node --import tsx bench/servers/deps.ts   (started by bench/run.ts)
 */
import { startDevIssuer } from '../../runtime/src/dev/issuer.js';
import { startDevStore } from '../../runtime/src/dev/store.js';
import { DEFAULT_TOOLS } from '../../runtime/src/tools/catalog/index.js';
import { catalogScopes } from '../../runtime/src/tools/registry.js';
import { echoTool } from './echo-tool.js';
import { announceReady, failStartup } from './hooks.js';

try {
  const resource = process.env.BENCH_RESOURCE;
  if (!resource) throw new Error('BENCH_RESOURCE is required');
  const scopes = catalogScopes([...DEFAULT_TOOLS, echoTool]);
  const store = await startDevStore('bench-sessions');
  const issuer = await startDevIssuer({ resources: [resource], scopes });
  announceReady(
    0,
    async () => {
      await issuer.close();
      await store.close();
    },
    {
      issuer: issuer.issuer,
      tokenEndpoint: issuer.tokenEndpoint,
      clientId: issuer.clientId,
      clientSecret: issuer.clientSecret,
      storeEndpoint: store.endpoint,
      tableName: store.tableName,
      scopes,
    },
  );
} catch (error) {
  failStartup(error);
}
