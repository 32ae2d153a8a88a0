import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, test } from 'node:test';
import { DevOutput } from './output.js';

const ACCESS = JSON.stringify({ time: '2026-12-01T21:05:03.000Z', status: 200, method: 'tools/call', tool: 'whoami', outcome: 'ok', latencyMs: 4.2, region: 'local-1', principalHash: '0123456789abcdef', traceId: '1-5759e988-bd862e3fe1be46a994272793', protocolEra: 'legacy' });
const EMF = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, Requests: 1 });
const WARN = JSON.stringify({ level: 'WARN', message: 'X-Ray segments cannot be sent', timestamp: '2026-12-01T21:05:04.000Z' });
const INSTANCE = { index: 1, port: 3000 };

function terminal(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream, text: () => text };
}

describe('DevOutput', () => {
  test('file mode: records to the file, one readable line per request, held back until the banner', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'dev-output-')), 'dev.log');
    const screen = terminal();
    const output = new DevOutput({ mode: 'file', logFile, terminal: screen.stream, userOf: (hash) => (hash === '0123456789abcdef' ? 'alice' : undefined) });
    output.stdoutLine(INSTANCE, ACCESS);
    assert.equal(screen.text(), '', 'held back until the banner');
    assert.equal(existsSync(logFile), false, 'no file before start-up succeeded');
    output.say('BANNER');
    output.release();
    output.stdoutLine(INSTANCE, EMF);
    output.stdoutLine(INSTANCE, WARN);
    output.stdoutLine(INSTANCE, ACCESS.replace('0123456789abcdef', 'fedcba9876543210'));
    output.stderrLine(INSTANCE, '(node) a warning');
    await output.close();
    const lines = screen.text().trim().split('\n');
    assert.equal(lines[0], 'BANNER');
    assert.match(lines[1]!, /^\d\d:\d\d:\d\d :3000 tools\/call whoami → 200 ok, 4\.2 ms, alice \(legacy\)$/);
    assert.match(lines[2]!, /:3000 WARN X-Ray segments cannot be sent \(the record is in .*dev\.log\)$/);
    assert.match(lines[3]!, /→ 200 ok, 4\.2 ms, user fedcba98 \(legacy\)$/, 'an unknown user is shown by its hash');
    assert.equal(lines[4], '[:3000] (node) a warning');
    assert.equal(lines.length, 5);
    assert.doesNotMatch(screen.text(), /_aws|^\{/m);
    assert.deepEqual(readFileSync(logFile, 'utf8').trim().split('\n'), [ACCESS, EMF, WARN, ACCESS.replace('0123456789abcdef', 'fedcba9876543210')]);
  });

  test('terminal mode: every line as the instance wrote it', async () => {
    const screen = terminal();
    const output = new DevOutput({ mode: 'terminal', logFile: '/nonexistent/dev.log', terminal: screen.stream });
    output.release();
    output.stdoutLine(INSTANCE, ACCESS);
    output.stdoutLine(INSTANCE, EMF);
    await output.close();
    assert.equal(screen.text(), `${ACCESS}\n${EMF}\n`);
  });

  test('a failed start-up writes nothing, so another run on that port keeps its log file', async () => {
    const logFile = join(mkdtempSync(join(tmpdir(), 'dev-output-')), 'dev.log');
    const screen = terminal();
    const output = new DevOutput({ mode: 'file', logFile, terminal: screen.stream });
    output.stdoutLine(INSTANCE, ACCESS);
    output.discard();
    output.stdoutLine(INSTANCE, ACCESS);
    await output.close();
    assert.equal(existsSync(logFile), false);
    assert.equal(screen.text(), '');
  });
});
