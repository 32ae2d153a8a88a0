// The pipeline's post-deployment smoke test (scripts/smoke.mjs), run against the real MCP server on
// loopback with the real development issuer handing out client-credentials tokens.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type Kit, startKit } from '../../runtime/test/harness.js';

const run = promisify(execFile);

interface SmokeResult {
  readonly code: number;
  readonly output: string;
}

/** Runs the smoke script with the endpoint and the client, as one JSON value or as separate variables. */
async function smoke(url: string, client: Record<string, string>, separate = false): Promise<SmokeResult> {
  const env = {
    PATH: process.env.PATH ?? '',
    MCP_URL: url,
    ...(separate
      ? { SMOKE_TOKEN_URL: client.tokenUrl, SMOKE_CLIENT_ID: client.clientId, SMOKE_CLIENT_SECRET: client.clientSecret, SMOKE_SCOPE: client.scope }
      : { SMOKE_CLIENT: JSON.stringify(client) }),
    SMOKE_READY_DEADLINE_MS: '5000',
  };
  try {
    const { stdout, stderr } = await run(process.execPath, ['scripts/smoke.mjs'], { env, timeout: 60_000 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

describe('smoke test', () => {
  let kit: Kit;
  before(async () => {
    // GIVEN the real server, its session store and an issuer that grants client credentials
    kit = await startKit();
  });
  after(async () => {
    await kit.close();
  });

  const clientOf = (k: Kit) => ({
    tokenUrl: k.issuer.tokenEndpoint,
    clientId: k.issuer.clientId,
    clientSecret: k.issuer.clientSecret,
    scope: 'mcp:identity.read',
  });

  test('passes against a healthy server and never prints the client secret', async () => {
    // WHEN
    const result = await smoke(kit.url, clientOf(kit));
    // THEN
    assert.equal(result.code, 0, result.output);
    for (const check of ['/healthz', '/readyz', 'unauthenticated request refused', 'initialize', 'tools/list', 'tools/call whoami', 'session ended']) {
      assert.match(result.output, new RegExp(`ok {3}${check.replace('/', '\\/')}`));
    }
    assert.ok(!result.output.includes(kit.issuer.clientSecret), 'the secret leaked into the output');
  });

  test('passes with the client in separate variables, as scripts/smoke-staging.sh hands it over', async () => {
    // WHEN
    const result = await smoke(kit.url, clientOf(kit), true);
    // THEN
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /ok {3}tools\/call whoami/);
    assert.ok(!result.output.includes(kit.issuer.clientSecret), 'the secret leaked into the output');
  });

  test('fails, naming the token step, when the client secret is wrong', async () => {
    // WHEN
    const result = await smoke(kit.url, { ...clientOf(kit), clientSecret: 'not-the-secret' });
    // THEN
    assert.equal(result.code, 1);
    assert.match(result.output, /FAIL token: the token endpoint answered HTTP 401/);
    assert.ok(!result.output.includes('not-the-secret'));
  });

  test('fails when the token lacks the scope whoami needs', async () => {
    // WHEN the client asks for another scope of the catalog than mcp:identity.read
    const result = await smoke(kit.url, { ...clientOf(kit), scope: 'mcp:notes.read' });
    // THEN
    assert.equal(result.code, 1);
    assert.match(result.output, /FAIL tools\/(list|call)/);
  });

  test('refuses to send the token to a non-loopback http endpoint', async () => {
    const result = await smoke('http://mcp.example.com/mcp', clientOf(kit));
    assert.equal(result.code, 1);
    assert.match(result.output, /FAIL configuration: MCP_URL must use https/);
  });
});

describe('smoke test with sign-in on', () => {
  let kit: Kit;
  before(async () => {
    // GIVEN the server running the broker in front of the same issuer, as a deployment with signIn.enabled
    kit = await startKit({ broker: true });
  });
  after(async () => {
    await kit.close();
  });

  test("still passes with the identity provider's client-credentials token: the broker's issuer does not capture it", async () => {
    // WHEN
    const result = await smoke(kit.url, { tokenUrl: kit.issuer.tokenEndpoint, clientId: kit.issuer.clientId, clientSecret: kit.issuer.clientSecret, scope: 'mcp:identity.read' });
    // THEN
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /ok {3}tools\/call whoami/);
    const metadata = (await (await fetch(new URL('/.well-known/oauth-protected-resource/mcp', kit.url))).json()) as { authorization_servers: string[] };
    assert.deepEqual(metadata.authorization_servers, [new URL(kit.url).origin], 'interactive clients are sent to the broker');
  });
});
