// The LocalStack scripts (npm run local:*) as far as they run without Docker: cdklocal from the project,
// the runtime started by local:run, and the compose file's LocalStack image.
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free loopback port (local:run puts the port into the public URL, so port 0 will not do). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function get(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Waits until the child's output contains `text`, or it exits. */
function waitFor(child: ChildProcess, text: string, output: { value: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (output.value.includes(text)) resolve();
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before "${text}":\n${output.value}`)));
  });
}

describe('LocalStack scripts', () => {
  test('local:deploy runs the project\'s pinned cdklocal, which finds the project\'s aws-cdk', async () => {
    // GIVEN
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> };
    assert.match(pkg.devDependencies['aws-cdk-local'] ?? '', /^\d+\.\d+\.\d+$/, 'aws-cdk-local pinned exactly');
    const env = readFileSync('scripts/local-env.sh', 'utf8');
    const cdklocal = /^export CDKLOCAL="(.+)"$/m.exec(env)?.[1];
    assert.equal(cdklocal, 'npx --no-install cdklocal');
    // WHEN the command the scripts use asks the CLI for its version
    const { stdout } = await run('bash', ['-c', `. scripts/local-env.sh && $CDKLOCAL --version`], { timeout: 120_000 });
    // THEN it is the aws-cdk package.json pins
    assert.match(stdout, new RegExp(`cdk cli version v${pkg.devDependencies['aws-cdk']!.replace(/\./g, '\\.')}`));
  });

  test('local:run starts the runtime on loopback, and its health path answers any Host while /mcp keeps the Host rule', async () => {
    // GIVEN
    const port = await freePort();
    const output = { value: '' };
    const child = spawn('bash', ['scripts/local-run.sh'], {
      env: { ...process.env, MCP_OIDC_ISSUER: 'https://issuer.local.example.com', MCP_PORT: String(port), LOG_LEVEL: 'INFO' },
      detached: true,
    });
    child.stdout.on('data', (chunk: Buffer) => (output.value += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.value += chunk.toString()));
    try {
      // WHEN
      await waitFor(child, '"server listening"', output);
      // THEN no loopback complaint, and the health path the Route 53 check requests from the load balancer
      // answers 200 under the balancer's own name, saying nothing but that it is up
      assert.doesNotMatch(output.value, /MCP_HOST must be a loopback address/);
      const health = await get(port, '/healthz', 'mcp-kit-alb-1234567890.eu-west-1.elb.amazonaws.com');
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
      const mcp = await get(port, '/mcp', 'mcp-kit-alb-1234567890.eu-west-1.elb.amazonaws.com');
      assert.equal(mcp.status, 421);
    } finally {
      if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.on('exit', resolve) : resolve(undefined)));
    }
  });

  test('the compose file runs the calendar-versioned LocalStack image with its auth token', () => {
    const compose = readFileSync('docker-compose.yml', 'utf8');
    assert.match(compose, /^\s+image: localstack\/localstack:20\d\d\.\d\d\.\d+$/m);
    assert.match(compose, /^\s+LOCALSTACK_AUTH_TOKEN: \$\{LOCALSTACK_AUTH_TOKEN:\?/m);
  });
});
