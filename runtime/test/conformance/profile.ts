import { pathToFileURL } from 'node:url';
import { DEFAULT_TOOLS } from '../../src/tools/catalog/index.js';
import type { ToolDefinition } from '../../src/tools/definition.js';
import { startKit, type Kit } from '../harness.js';
import { CONTENT_FIXTURES, CONFORMANCE_CAPABILITIES } from './capability-fixtures.js';
import { ELICITATION_FIXTURES } from './elicitation-fixtures.js';
import { CONFORMANCE_FIXTURES } from './fixtures.js';
import { INPUT_FIXTURES, INPUT_PROMPTS } from './input-fixtures.js';
import { HEADER_FIXTURES } from './header-fixtures.js';
import { LOGGING_FIXTURES } from './logging-fixtures.js';
import { startBearerProxy, type BearerProxy } from './proxy.js';

/**
 * The conformance test profile: the real dev issuer, dynalite and the real server (startKit), serving
 * the kit's catalog plus the conformance fixture tools, behind a loopback proxy that supplies a bearer
 * token (see proxy.ts). Test only: nothing under `runtime/test/` reaches the container image, and the
 * profile is assembled here from test code, not selected by configuration.
 *
 * Run it by hand with `npx tsx runtime/test/conformance/profile.ts`; it prints the URL to give the suite:
 *   npx conformance server --url <url> --suite all --expected-failures conformance-baseline.yml
 */
export interface ConformanceProfile {
  /** The MCP endpoint the suite talks to (the proxy). */
  readonly url: string;
  readonly kit: Kit;
  readonly proxy: BearerProxy;
  close(): Promise<void>;
}

/** The catalog the profile serves: the shipped tools and the fixtures. */
export const CONFORMANCE_CATALOG: readonly ToolDefinition[] = [
  ...DEFAULT_TOOLS,
  ...CONFORMANCE_FIXTURES,
  ...CONTENT_FIXTURES,
  ...INPUT_FIXTURES,
  ...LOGGING_FIXTURES,
  ...ELICITATION_FIXTURES,
  ...HEADER_FIXTURES,
];

/** Seconds a token of the profile lives; the proxy fetches a fresh one after half of that. */
const TOKEN_TTL_SECONDS = 600;

export async function startConformanceProfile(): Promise<ConformanceProfile> {
  const proxy = await startBearerProxy();
  let kit: Kit;
  try {
    kit = await startKit({
      tools: CONFORMANCE_CATALOG,
      capabilities: { ...CONFORMANCE_CAPABILITIES, prompts: [...(CONFORMANCE_CAPABILITIES.prompts ?? []), ...INPUT_PROMPTS] },
      env: {
        // Clients reach the server only through the proxy, which forwards Host and Origin unchanged:
        // the proxy's address is the public one, and any other Host or Origin is still refused.
        MCP_ALLOWED_HOSTS: proxy.hosts.join(','),
        MCP_ALLOWED_ORIGINS: proxy.origins.join(','),
      },
    });
  } catch (error) {
    await proxy.close();
    throw error;
  }
  let cached: { token: string; renewAt: number } | undefined;
  proxy.connect({
    url: new URL(kit.url).origin,
    token: async () => {
      if (!cached || Date.now() >= cached.renewAt) {
        const token = await kit.token({ sub: 'conformance', ttlSeconds: TOKEN_TTL_SECONDS });
        cached = { token, renewAt: Date.now() + (TOKEN_TTL_SECONDS * 1000) / 2 };
      }
      return cached.token;
    },
  });
  return {
    url: `http://127.0.0.1:${proxy.port}${new URL(kit.url).pathname}`,
    kit,
    proxy,
    close: async () => {
      await proxy.close();
      await kit.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const profile = await startConformanceProfile();
  console.log(`Conformance endpoint: ${profile.url}`);
  console.log('Stop with Ctrl-C.');
  const stop = () => void profile.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
