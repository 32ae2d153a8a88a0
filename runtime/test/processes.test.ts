import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { devEnvironment, freePort } from '../src/dev/environment.js';
import { requestDevToken, startDevIssuer, type DevIssuer } from '../src/dev/issuer.js';
import { startDevStore, type DevStore } from '../src/dev/store.js';
import { INITIALIZE, post } from './harness.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = ['--import', 'tsx'];

function collect(child: ChildProcess): { out: () => string; stdout: () => string } {
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString('utf8');
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  return { out: () => out, stdout: () => stdout };
}

async function waitFor(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm run dev', () => {
  test('starts two instances sharing one store and issuer, prints one endpoint line each, and dev:token works', async () => {
    const dev = spawn(process.execPath, [...TSX, 'runtime/src/dev/cli.ts', '--port', '0', '--instances', '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(dev);
    try {
      await waitFor(() => /Press Ctrl\+C/.test(output.out()), 60_000, 'the dev banner');
      const endpoints = [...output.out().matchAll(/^MCP endpoint: (http:\/\/127\.0\.0\.1:(\d+)\/mcp)$/gm)];
      assert.equal(endpoints.length, 2);
      const firstPort = endpoints[0]![2]!;
      const tokenRun = spawn(process.execPath, [...TSX, 'runtime/src/dev/token-cli.ts', '--sub', 'alice', '--groups', 'staff', '--port', firstPort], { cwd: ROOT });
      const tokenOut = collect(tokenRun);
      const [code] = (await once(tokenRun, 'exit')) as [number];
      assert.equal(code, 0, tokenOut.out());
      const token = tokenOut.stdout().trim();
      assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'prints only the token');
      const first = await post(endpoints[0]![1]!, INITIALIZE, { authorization: `Bearer ${token}` });
      assert.equal(first.status, 200);
      const sessionId = first.headers.get('mcp-session-id')!;
      const second = await post(endpoints[1]![1]!, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, {
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      });
      assert.equal(second.status, 200);
      assert.match(second.text, /alice/);
    } finally {
      const exited = dev.exitCode === null ? once(dev, 'exit') : Promise.resolve();
      dev.kill('SIGINT');
      await exited;
    }
  });
});

describe('the production entry point', () => {
  let issuer: DevIssuer;
  let store: DevStore;
  before(async () => {
    store = await startDevStore();
    issuer = await startDevIssuer({ resources: ['http://127.0.0.1:1/mcp'], scopes: ['mcp:identity.read', 'mcp:reports.run'] });
  });
  after(async () => {
    await issuer.close();
    await store.close();
  });

  test('refuses to start on a bad configuration, naming the variable', async () => {
    const child = spawn(process.execPath, [...TSX, 'runtime/src/main.ts'], { cwd: ROOT, env: { PATH: process.env.PATH, MCP_PUBLIC_URL: 'not a url' } });
    const output = collect(child);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 78);
    assert.match(output.out(), /MCP_PUBLIC_URL/);
  });

  test('refuses plain HTTP on a non-loopback address', async () => {
    const env = { PATH: process.env.PATH, ...devEnvironment({ issuer: issuer.issuer, port: 0, ports: [1], storeEndpoint: store.endpoint, tableName: store.tableName }), MCP_HOST: '0.0.0.0' };
    const child = spawn(process.execPath, [...TSX, 'runtime/src/main.ts'], { cwd: ROOT, env });
    const output = collect(child);
    const [code] = (await once(child, 'exit')) as [number];
    assert.equal(code, 78);
    assert.match(output.out(), /MCP_HOST/);
  });

  test('the compiled image code (tsc output, no tsx, no dev modules) starts and serves an authenticated call', async () => {
    const outDir = 'runtime/.build-check';
    const build = spawn(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'runtime/tsconfig.build.json', '--outDir', outDir], { cwd: ROOT });
    const buildOutput = collect(build);
    const [built] = (await once(build, 'exit')) as [number];
    assert.equal(built, 0, buildOutput.out());
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const imageIssuer = await startDevIssuer({ resources: [resource], scopes: ['mcp:identity.read'] });
    const env = { PATH: process.env.PATH, ...devEnvironment({ issuer: imageIssuer.issuer, port, ports: [port], storeEndpoint: store.endpoint, tableName: store.tableName }) };
    const child = spawn(process.execPath, [`${outDir}/main.js`], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(child);
    try {
      await waitFor(() => output.out().includes('server listening'), 30_000, 'the compiled server to listen');
      const { accessToken } = await requestDevToken(imageIssuer, { sub: 'alice', scopes: ['mcp:identity.read'], resource });
      const init = await post(resource, INITIALIZE, { authorization: `Bearer ${accessToken}` });
      assert.equal(init.status, 200);
      const whoami = await post(resource, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, {
        authorization: `Bearer ${accessToken}`,
        'mcp-session-id': init.headers.get('mcp-session-id')!,
        'mcp-protocol-version': '2025-11-25',
      });
      assert.match(whoami.text, /"subject":"alice"/);
    } finally {
      const exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
      child.kill('SIGTERM');
      await exited;
      await imageIssuer.close();
    }
  });

  test('SIGTERM drains the request in flight, then exits 0', async () => {
    const port = await freePort();
    const resource = `http://127.0.0.1:${port}/mcp`;
    const drainIssuer = await startDevIssuer({ resources: [resource], scopes: ['mcp:reports.run'] });
    const env = { PATH: process.env.PATH, ...devEnvironment({ issuer: drainIssuer.issuer, port, ports: [port], storeEndpoint: store.endpoint, tableName: store.tableName }) };
    const child = spawn(process.execPath, [...TSX, 'runtime/src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = collect(child);
    try {
      await waitFor(() => output.out().includes('server listening'), 30_000, 'the server to listen');
      const { accessToken } = await requestDevToken(drainIssuer, { sub: 'alice', scopes: ['mcp:reports.run'], groups: ['analysts'], resource });
      const init = await post(resource, INITIALIZE, { authorization: `Bearer ${accessToken}` });
      const sessionId = init.headers.get('mcp-session-id')!;
      const slow = post(resource, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'generate_report', arguments: { seconds: 1.5 } } }, {
        authorization: `Bearer ${accessToken}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.match(answer.text, /Report built in 15 steps/);
      const [code] = (await exited) as [number];
      assert.equal(code, 0);
      await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`), 'no longer accepting');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await drainIssuer.close();
    }
  });
});
