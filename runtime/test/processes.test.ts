import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { quickstartCommands } from '../src/dev/banner.js';
import { devEnvironment, freePort } from '../src/dev/environment.js';
import { requestDevToken, startDevIssuer, type DevIssuer } from '../src/dev/issuer.js';
import { devStateFolder, devStatePath, writeDevState } from '../src/dev/state.js';
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

interface DevRun {
  readonly child: ChildProcess;
  readonly output: { out: () => string; stdout: () => string };
  readonly endpoints: string[];
  readonly ports: number[];
  readonly pids: number[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

/** Log files of the dev runs of this file, removed at the end (a user's run keeps its log). */
const devLogFiles: string[] = [];

/** Starts `npm run dev` (its CLI, on the pinned Node) and waits for the banner. */
async function startDev(args: readonly string[], env: Record<string, string> = {}): Promise<DevRun> {
  const child = spawn(process.execPath, [...TSX, 'runtime/src/dev/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const output = collect(child);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await waitFor(() => /Press Ctrl\+C/.test(output.out()) || child.exitCode !== null, 90_000, 'the dev banner');
  assert.equal(child.exitCode, null, output.out());
  const endpoints = [...output.stdout().matchAll(/^MCP endpoint: (http:\/\/127\.0\.0\.1:(\d+)\/mcp)$/gm)];
  const pids = /pids? ([\d, ]+)[ )]/.exec(output.stdout())?.[1]?.split(', ').map(Number) ?? [];
  if (endpoints[0]) devLogFiles.push(join(devStateFolder(), `dev-${endpoints[0][2]}.log`));
  return { child, output, endpoints: endpoints.map((match) => match[1]!), ports: endpoints.map((match) => Number(match[2])), pids, exited };
}

async function stopDev(dev: DevRun, signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
  if (dev.child.exitCode === null) dev.child.kill(signal);
  return dev.exited;
}

/** Runs `dev:token` (its CLI) and returns its exit code, stdout and stderr. */
async function devToken(args: readonly string[]): Promise<{ code: number; stdout: string; out: string }> {
  const run = spawn(process.execPath, [...TSX, 'runtime/src/dev/token-cli.ts', ...args], { cwd: ROOT });
  const output = collect(run);
  const [code] = (await once(run, 'exit')) as [number];
  return { code, stdout: output.stdout().trim(), out: output.out() };
}

function whoamiCall(id: number) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'whoami', arguments: {} } };
}

describe('npm run dev', () => {
  after(() => {
    for (const file of devLogFiles) rmSync(file, { force: true });
  });

  test('two instances on consecutive ports: dev:token for each, a killed instance is reported and restarted while the other serves the session, a quiet terminal, state removed on Ctrl+C', async () => {
    const dev = await startDev(['--port', '0', '--instances', '2']);
    try {
      const stdout = dev.output.stdout();
      assert.match(stdout.split('\n')[0]!, /^MCP endpoint: /, 'the banner comes first');
      assert.equal(dev.ports.length, 2);
      assert.equal(dev.ports[1], dev.ports[0]! + 1, '--port 0 gives consecutive ports');
      assert.equal(dev.pids.length, 2, stdout);
      for (const port of dev.ports) assert.equal(statSync(devStatePath(port)).mode & 0o777, 0o600);
      assert.match(stdout, /search_documents\s+--groups staff or operators/);
      assert.match(stdout, /generate_report\s+--groups analysts or operators/);

      const tokens = await Promise.all(dev.ports.map((port) => devToken(['--sub', 'alice', '--groups', 'staff', '--port', String(port)])));
      for (const token of tokens) {
        assert.equal(token.code, 0, token.out);
        assert.match(token.stdout, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'prints only the token');
      }
      const auth = { authorization: `Bearer ${tokens[1]!.stdout}` };
      const init = await post(dev.endpoints[0]!, INITIALIZE, auth);
      assert.equal(init.status, 200);
      const session = { ...auth, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
      const onSecond = await post(dev.endpoints[1]!, whoamiCall(2), session);
      assert.equal(onSecond.status, 200);
      assert.match(onSecond.text, /alice/);

      // WHEN the second instance dies
      process.kill(dev.pids[1]!, 'SIGKILL');
      await waitFor(() => dev.output.stdout().includes(`instance 2 (port ${dev.ports[1]}) stopped: killed by SIGKILL; the other instance keeps serving every session.`), 30_000, 'the death report');
      // THEN the first keeps serving the session, and the second comes back with it
      const onFirst = await post(dev.endpoints[0]!, whoamiCall(3), session);
      assert.equal(onFirst.status, 200);
      assert.match(onFirst.text, /alice/);
      await waitFor(() => dev.output.stdout().includes(`instance 2 (port ${dev.ports[1]}) is serving again`), 90_000, 'the restart');
      const afterRestart = await post(dev.endpoints[1]!, whoamiCall(4), session);
      assert.equal(afterRestart.status, 200);
      assert.match(afterRestart.text, /alice/);
      // One readable line per request (the killed instance may not have written its last one).
      for (const port of dev.ports) {
        const line = new RegExp(`^\\d\\d:\\d\\d:\\d\\d :${port} tools/call whoami → 200 ok, [\\d.]+ ms, alice \\(legacy\\)$`, 'm');
        await waitFor(() => line.test(dev.output.stdout()), 10_000, `the request line of port ${port}`);
      }
    } finally {
      const code = await stopDev(dev, 'SIGINT');
      assert.equal(code, 0, dev.output.out());
    }
    // The terminal: readable lines only; the records went to the log file the banner named.
    const terminal = dev.output.stdout();
    assert.doesNotMatch(terminal, /^\{/m, 'no JSON record in the terminal');
    assert.doesNotMatch(terminal, /_aws/, 'no EMF record in the terminal');
    const logFile = /^Logs: JSON records and EMF metrics go to (\S+);/m.exec(terminal)?.[1];
    assert.ok(logFile, terminal);
    const records = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.method === 'tools/call' && record.tool === 'whoami' && record.status === 200), 'access records in the file');
    assert.ok(records.some((record) => '_aws' in record), 'EMF records in the file');
    assert.ok(records.some((record) => record.message === 'server listening'), 'diagnostic records in the file');
    for (const port of dev.ports) assert.equal(existsSync(devStatePath(port)), false, 'state file removed on exit');
    const stopped = await devToken(['--sub', 'alice', '--port', String(dev.ports[1])]);
    assert.equal(stopped.code, 1);
    assert.match(stopped.out, new RegExp(`no dev server is running on port ${dev.ports[1]}\\. Start one with: npm run dev`));
  });

  test('an instance that keeps dying is given up on with a message saying how to bring it back; with none left, npm run dev exits 1 and removes its state', async () => {
    const dev = await startDev(['--port', '0']);
    const port = dev.ports[0]!;
    try {
      let pid = dev.pids[0]!;
      for (let restart = 1; restart <= 3; restart += 1) {
        process.kill(pid, 'SIGKILL');
        const serving = new RegExp(`instance 1 \\(port ${port}\\) is serving again \\(pid (\\d+)\\)`, 'g');
        await waitFor(() => [...dev.output.stdout().matchAll(serving)].length === restart, 90_000, `restart ${restart}`);
        pid = Number([...dev.output.stdout().matchAll(serving)].at(-1)![1]);
      }
      process.kill(pid, 'SIGKILL');
      assert.equal(await dev.exited, 1);
    } finally {
      if (dev.child.exitCode === null) dev.child.kill('SIGKILL');
    }
    assert.match(dev.output.stdout(), new RegExp(`instance 1 \\(port ${port}\\) stopped: killed by SIGKILL; no other instance is running\\.`));
    assert.match(dev.output.stdout(), /stopped 3 times within a minute; it is not restarted again\. Restart npm run dev to bring it back\./);
    assert.match(dev.output.stdout(), /No server instance is left; stopping\./);
    assert.equal(existsSync(devStatePath(port)), false, 'state file removed');
  });

  test('a taken port: exit code 1, a message naming the port, no banner, no state file', async () => {
    // Another server on the port that answers every request, /healthz included, with 200.
    const other = createHttpServer((_request, response) => response.end('ok'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as AddressInfo).port;
    try {
      const child = spawn(process.execPath, [...TSX, 'runtime/src/dev/cli.ts', '--port', String(port)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      const output = collect(child);
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 1);
      assert.match(output.out(), new RegExp(`dev failed: port ${port} is already in use on 127\\.0\\.0\\.1`));
      assert.doesNotMatch(output.out(), /MCP endpoint|Press Ctrl\+C/);
      assert.equal(existsSync(devStatePath(port)), false);
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  test('the README quickstart, run by bash, reaches a tools/call in both eras; SIGTERM removes the state file', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- quickstart:begin -->\n```bash\n([\s\S]*?)\n```\n<!-- quickstart:end -->/.exec(readme)?.[1];
    assert.ok(block, 'the README has the quickstart block');
    assert.equal(block, quickstartCommands(3000).join('\n'), 'the README shows what the banner prints');
    const dev = await startDev(['--port', '0']);
    try {
      const port = dev.ports[0]!;
      assert.ok(dev.output.stdout().includes(quickstartCommands(port).map((line) => `  ${line}`).join('\n')), 'the banner prints the quickstart');
      // The README's lines for port 3000, pointed at this run's port: the only change.
      const script = block.replace('--groups staff)', `--groups staff --port ${port})`).replace('127.0.0.1:3000', `127.0.0.1:${port}`);
      assert.equal(script, quickstartCommands(port).join('\n'));
      const bash = spawn('bash', ['-e', '-c', script], { cwd: ROOT, env: process.env });
      const result = collect(bash);
      const [code] = (await once(bash, 'exit')) as [number];
      assert.equal(code, 0, result.out());
      const answers = result
        .stdout()
        .split('\n')
        .map((line) => line.replace(/^data: /, ''))
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { id: number; result: { structuredContent: { subject: string } } });
      assert.deepEqual(answers.map((answer) => [answer.id, answer.result.structuredContent.subject]), [
        [2, 'alice'],
        [3, 'alice'],
      ]);
      await waitFor(() => /tools\/call whoami → 200 ok, [\d.]+ ms, alice \(modern\)/.test(dev.output.stdout()), 10_000, 'the modern request line');
    } finally {
      assert.equal(await stopDev(dev, 'SIGTERM'), 0);
    }
    assert.equal(existsSync(devStatePath(dev.ports[0]!)), false);
  });

  test('--logs terminal prints the records as production writes them, after the banner', async () => {
    const dev = await startDev(['--port', '0'], { MCP_DEV_LOGS: 'terminal' });
    try {
      assert.match(dev.output.stdout().split('\n')[0]!, /^MCP endpoint: /, 'the banner comes first');
      assert.match(dev.output.stdout(), /^Logs: JSON records and EMF metrics are printed here/m);
      const refused = await post(dev.endpoints[0]!, INITIALIZE);
      assert.equal(refused.status, 401);
    } finally {
      assert.equal(await stopDev(dev), 0);
    }
    const records = dev.output
      .stdout()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(records.some((record) => record.message === 'server listening'));
    assert.ok(records.some((record) => record.method === 'POST' && record.status === 401), 'the access record of the refused request');
    assert.ok(records.some((record) => '_aws' in record), 'the metrics flushed at shutdown');
    assert.doesNotMatch(dev.output.stdout(), / → 401/, 'no readable request lines');
  });

  test('dev:token against a run that is gone says so and how to start one, and removes the stale state file', async () => {
    const gone = spawn(process.execPath, ['-e', '']);
    await once(gone, 'exit');
    const port = await freePort();
    writeDevState([port], { pid: gone.pid!, issuer: 'http://127.0.0.1:1', tokenEndpoint: 'http://127.0.0.1:1/token', clientId: 'c', clientSecret: 's', resource: 'r', scopes: [], endpoints: [] });
    const answer = await devToken(['--sub', 'alice', '--port', String(port)]);
    assert.equal(answer.code, 1);
    assert.match(answer.out, new RegExp(`no dev server is running on port ${port} \\(the state file of an earlier run was left behind and is now removed\\)\\. Start one with: npm run dev -- --port ${port}\\.`));
    assert.doesNotMatch(answer.out, /fetch failed/);
    assert.equal(existsSync(devStatePath(port)), false);
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
      // Production output, unchanged by the dev terminal: JSON records and EMF lines on stdout, nothing else.
      const lines = output.stdout().trim().split('\n');
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      assert.ok(records.some((record) => record.level === 'INFO' && record.message === 'server listening' && record.port === port));
      assert.ok(records.some((record) => record.method === 'tools/call' && record.tool === 'generate_report' && record.status === 200 && typeof record.principalHash === 'string'));
      assert.ok(records.some((record) => '_aws' in record && 'ToolCalls' in record), 'EMF metrics');
      assert.doesNotMatch(output.stdout(), / → |alice/, 'no readable request line, no user name');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await drainIssuer.close();
    }
  });
});
