import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { lintToolCatalog } from '../../src/tools/lint.js';
import { INITIALIZE } from '../harness.js';
import { CONFORMANCE_CATALOG, startConformanceProfile, type ConformanceProfile } from './profile.js';

// The official MCP conformance suite, from node_modules (pinned in runtime/package.json), never fetched at run time.
const require = createRequire(import.meta.url);
const SUITE_PACKAGE = require.resolve('@modelcontextprotocol/conformance/package.json');
const SUITE_BIN = join(dirname(SUITE_PACKAGE), (JSON.parse(readFileSync(SUITE_PACKAGE, 'utf8')) as { bin: { conformance: string } }).bin.conformance);
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BASELINE = join(REPO_ROOT, 'conformance-baseline.yml');
const SUITE_TIMEOUT_MS = 180_000;

const ANSI = /\u001b\[[0-9;]*m/g;

/** The suite's environment: the test runner's own markers removed, so the suite behaves as from a shell. */
function suiteEnvironment(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function runSuite(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SUITE_BIN, ...args], { env: suiteEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), SUITE_TIMEOUT_MS);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.replace(ANSI, '') });
    });
  });
}

/** The requirement sets the suite is run with, each at its own wire (see the baseline's header). */
const REQUIREMENT_SETS = ['2026-07-28', '2025-11-25'] as const;
type RequirementSet = (typeof REQUIREMENT_SETS)[number];

interface BaselineEntry {
  /** `<scenario>` or `<scenario>:<check-id>`. */
  readonly entry: string;
  readonly scenario: string;
  readonly reason: string;
}

/** The baseline's entries per requirement set: a `<revision>:` line, then `  - <entry> # <reason>`, one a line. */
function baselineEntries(): Map<string, BaselineEntry[]> {
  const sections = new Map<string, BaselineEntry[]>();
  let current: BaselineEntry[] | undefined;
  for (const line of readFileSync(BASELINE, 'utf8').split('\n')) {
    const section = /^(\d{4}-\d{2}-\d{2}):\s*$/.exec(line);
    if (section) {
      current = [];
      sections.set(section[1]!, current);
      continue;
    }
    const match = /^\s+-\s+(([a-z0-9-]+)(?::[a-z0-9-]+)?)\s*(?:#\s*(.*))?$/.exec(line);
    if (match) {
      assert.ok(current, `baseline entry "${match[1]}" is not under a requirement set`);
      current.push({ entry: match[1]!, scenario: match[2]!, reason: (match[3] ?? '').trim() });
    }
  }
  return sections;
}

/** The server scenarios a requirement set runs, scored or not, as `conformance list --requirements` prints them. */
function serverScenariosOf(revision: RequirementSet): Set<string> {
  const listed = spawnSync(process.execPath, [SUITE_BIN, 'list', '--requirements', revision], { env: suiteEnvironment(), encoding: 'utf8' });
  assert.equal(listed.status, 0, listed.stderr);
  const scenarios = new Set<string>();
  let inServerSection = false;
  for (const line of listed.stdout.split('\n')) {
    if (/^Server scenarios/.test(line)) inServerSection = true;
    else if (line.trim() === '' || /^\S/.test(line)) inServerSection = false;
    const item = /^\s+-\s+(\S+)(?:\s+\[(\w+)\])?$/.exec(line);
    if (item && (inServerSection || item[2] === 'server')) scenarios.add(item[1]!);
  }
  return scenarios;
}

/** The per-scenario summary lines and the closing verdict of a suite run. */
function summaryOf(output: string): string {
  const lines = output.split('\n');
  const scenarios = lines.filter((line) => /^[✓✗] \S+: \d+ passed, \d+ failed/.test(line));
  const total = lines.findIndex((line) => line.startsWith('Total: '));
  const verdict = total >= 0 ? lines.slice(total).filter((line) => line.trim() !== '') : ['(the suite printed no summary)'];
  return [...scenarios, ...verdict].join('\n');
}

describe('MCP conformance suite (@modelcontextprotocol/conformance)', () => {
  let profile: ConformanceProfile;

  before(async () => {
    profile = await startConformanceProfile();
  });

  after(async () => {
    await profile?.close();
  });

  test('the fixture tools pass the catalog lint like any other tool', () => {
    assert.deepEqual(lintToolCatalog(CONFORMANCE_CATALOG), []);
  });

  test('the server behind the proxy still refuses a request without a token', async () => {
    // Sent straight to the server, with the public Host the proxy would forward: only the token is missing.
    const body = JSON.stringify(INITIALIZE);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const target = new URL(profile.kit.url);
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: { host: profile.proxy.hosts[0], 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.once('error', reject);
      req.end(body);
    });
    assert.equal(status, 401);
  });

  test('every baseline entry is a scenario of its requirement set, listed once, with a reason', () => {
    const sections = baselineEntries();
    assert.deepEqual([...sections.keys()].sort(), [...REQUIREMENT_SETS].sort(), 'the baseline has one section per requirement set');
    for (const revision of REQUIREMENT_SETS) {
      const known = serverScenariosOf(revision);
      assert.ok(known.size > 0, `the suite lists no server scenario for ${revision}`);
      const entries = sections.get(revision)!;
      for (const { entry, scenario, reason } of entries) {
        assert.ok(known.has(scenario), `baseline entry "${entry}" is not a server scenario of ${revision}`);
        assert.ok(reason.length >= 10, `baseline entry "${entry}" (${revision}) gives no reason`);
      }
      assert.equal(new Set(entries.map((item) => item.entry)).size, entries.length, `an entry of ${revision} is listed twice`);
    }
  });

  for (const revision of REQUIREMENT_SETS) {
    test(`--requirements ${revision}: no unexpected failure, no stale baseline entry`, { timeout: SUITE_TIMEOUT_MS + 30_000 }, async () => {
      const outputDir = mkdtempSync(join(tmpdir(), 'mcp-conformance-'));
      // The suite reads a baseline of one list; this run's section is written out in that form.
      const baseline = join(outputDir, 'baseline.yml');
      const expected = baselineEntries().get(revision) ?? [];
      // A set with nothing expected to fail is an empty list, not an empty key (which the suite refuses).
      writeFileSync(baseline, expected.length === 0 ? 'server: []\n' : `server:\n${expected.map((item) => `  - ${item.entry}\n`).join('')}`);
      const started = performance.now();
      const { code, output } = await runSuite(['server', '--url', profile.url, '--requirements', revision, '--expected-failures', baseline, '-o', join(outputDir, 'results')]);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const summary = summaryOf(output);
      console.log(`conformance suite --requirements ${revision} against ${profile.url} (${seconds} s):\n${summary}`);
      assert.equal(code, 0, `the conformance suite exited with ${code}; per-check results are in ${outputDir}\n${summary}`);
      assert.match(summary, /Baseline check passed/);
      rmSync(outputDir, { recursive: true, force: true });
    });
  }
});
