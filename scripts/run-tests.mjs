#!/usr/bin/env node
// Runs every *.test.ts under runtime/ and test/ with node's own test runner (TypeScript through tsx).
// Extra arguments are passed to the runner, e.g. `npm run test:only -- --test-name-pattern=whoami`.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'cdk.out') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`tests need Node 22 or later (this is ${process.version}): run them through npm, which puts the pinned Node 22 first on the PATH`);
  process.exit(1);
}
console.log(`node ${process.version}`);

const filter = process.env.TEST_FILES;
let files = [...collect('runtime', []), ...collect('test', [])].sort();
if (filter) files = files.filter((f) => f.includes(filter));
const reporter = process.stdout.isTTY ? 'spec' : 'spec';
// The test files that need a whole synthesized CDK app share one synth per app (test/infra/assemblies.ts).
const runId = randomUUID();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-reporter=${reporter}`, ...process.argv.slice(2), ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test', MCP_TEST_RUN_ID: runId } },
);
rmSync(join(tmpdir(), `mcp-kit-synth-${runId}`), { recursive: true, force: true });
process.exit(result.status ?? 1);
