import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { createObservability, type Observability, type RequestOutcome, type ToolOutcome } from './index.js';
import { MAX_SAMPLES_PER_INTERVAL } from './metrics.js';
import { captureStream, type EmfRecord, emfRecords } from './test-helpers.js';

function observability(metricsFlushIntervalMs = 300_000): { obs: Observability; emf(): EmfRecord[] } {
  const out = captureStream();
  const obs = createObservability({
    serviceName: 'enterprise-mcp',
    logLevel: 'INFO',
    metricsNamespace: 'EnterpriseMcp',
    region: 'eu-west-1',
    metricsFlushIntervalMs,
    logStream: out.stream,
  });
  return { obs, emf: () => emfRecords(out.records()) };
}

/** name → { unit, dimension sets } as declared across all records, checking each record on the way. */
function declarations(records: EmfRecord[]): Map<string, { unit: string; dimensions: Set<string> }> {
  const found = new Map<string, { unit: string; dimensions: Set<string> }>();
  for (const record of records) {
    assert.ok(Math.abs(record._aws.Timestamp - Date.now()) < 60_000);
    assert.equal(record._aws.CloudWatchMetrics.length, 1);
    const [directive] = record._aws.CloudWatchMetrics;
    assert.ok(directive);
    assert.equal(directive.Namespace, 'EnterpriseMcp');
    assert.equal(record.service, 'enterprise-mcp');
    assert.equal(record.region, 'eu-west-1');
    for (const set of directive.Dimensions) for (const key of set) assert.equal(typeof record[key], 'string', `dimension ${key} has a value`);
    for (const metric of directive.Metrics) {
      const entry = found.get(metric.Name) ?? { unit: metric.Unit, dimensions: new Set<string>() };
      assert.equal(entry.unit, metric.Unit, `${metric.Name} always has the same unit`);
      for (const set of directive.Dimensions) entry.dimensions.add(set.join(','));
      found.set(metric.Name, entry);
    }
  }
  return found;
}

/** Sum of a metric's values over the records whose dimension values match `where`. */
function total(records: EmfRecord[], name: string, where: Record<string, string> = {}): number {
  let sum = 0;
  for (const record of records) {
    if (!(name in record) || Object.entries(where).some(([key, value]) => record[key] !== value)) continue;
    const value = record[name] as number | number[];
    sum += Array.isArray(value) ? value.length : value;
  }
  return sum;
}

describe('EMF metrics', () => {
  test('publishes every metric the dashboards use, with its unit and dimensions', async () => {
    const { obs, emf } = observability();
    obs.countRequest('ok', 12.5);
    obs.countRequest('ok', 20);
    obs.countRequest('unauthenticated', 1);
    obs.countError('session');
    obs.countToolCall('whoami', 'ok', 5);
    obs.countToolCall('whoami', 'error', 7);
    obs.countAuthFailure('expired');
    obs.countRedactions('email', 3);
    obs.countRedactions('email', 0);
    obs.countRateLimited('principal');
    obs.countSession('opened');
    obs.countSession('ended');
    obs.countCredentialInput('notes');
    assert.deepEqual(emf(), [], 'nothing is written on the request path');

    obs.flush();

    const records = emf();
    const declared = declarations(records);
    const expected: Record<string, { unit: string; dimensions: string[] }> = {
      Requests: { unit: 'Count', dimensions: ['service,region', 'service,region,outcome'] },
      Latency: { unit: 'Milliseconds', dimensions: ['service,region', 'service,region,outcome'] },
      Errors: { unit: 'Count', dimensions: ['service,region', 'service,region,kind'] },
      ToolCalls: { unit: 'Count', dimensions: ['service,region,tool', 'service,region,tool,outcome'] },
      ToolLatency: { unit: 'Milliseconds', dimensions: ['service,region,tool'] },
      AuthFailures: { unit: 'Count', dimensions: ['service,region', 'service,region,reason'] },
      Redactions: { unit: 'Count', dimensions: ['service,region', 'service,region,kind'] },
      RateLimited: { unit: 'Count', dimensions: ['service,region', 'service,region,scope'] },
      SessionsOpened: { unit: 'Count', dimensions: ['service,region'] },
      SessionsEnded: { unit: 'Count', dimensions: ['service,region'] },
      CredentialInputsRefused: { unit: 'Count', dimensions: ['service,region', 'service,region,tool'] },
    };
    assert.deepEqual(
      Object.fromEntries([...declared].map(([name, entry]) => [name, { unit: entry.unit, dimensions: [...entry.dimensions].sort() }])),
      expected,
    );

    assert.equal(total(records, 'Requests'), 3);
    assert.equal(total(records, 'Requests', { outcome: 'ok' }), 2);
    assert.deepEqual(records.find((record) => record.outcome === 'ok' && 'Latency' in record)?.Latency, [12.5, 20]);
    assert.equal(total(records, 'Errors', { kind: 'session' }), 1);
    assert.equal(total(records, 'ToolCalls', { tool: 'whoami', outcome: 'error' }), 1);
    const perTool = records.find((record) => record.tool === 'whoami' && 'ToolLatency' in record);
    assert.equal(perTool?.ToolCalls, 2, 'calls per tool, all outcomes');
    assert.deepEqual(perTool?.ToolLatency, [5, 7]);
    assert.equal(total(records, 'AuthFailures', { reason: 'expired' }), 1);
    assert.equal(total(records, 'Redactions', { kind: 'email' }), 3);
    assert.equal(total(records, 'RateLimited', { scope: 'principal' }), 1);
    assert.equal(total(records, 'SessionsOpened'), 1);
    assert.equal(total(records, 'SessionsEnded'), 1);
    assert.equal(total(records, 'CredentialInputsRefused', { tool: 'notes' }), 1);

    obs.flush();
    assert.equal(emf().length, records.length, 'a flush with nothing new writes nothing');
    await obs.close();
  });

  test('keeps dimension values bounded, whatever the callers send', async () => {
    const { obs, emf } = observability();
    for (let i = 0; i < 150; i += 1) obs.countToolCall(`tool_${i}`, 'ok', 1);
    obs.countToolCall('Not A Tool!', 'ok', 1);
    obs.countToolCall('tool_0', 'exploded' as ToolOutcome, 1);
    obs.countRequest('teapot' as RequestOutcome, 1);
    obs.countRedactions(`Bearer ${'x'.repeat(40)}`, 1);
    await obs.close();

    const records = emf();
    const tools = new Set(records.filter((record) => 'ToolCalls' in record).map((record) => record.tool));
    assert.equal(tools.size, 101, '100 tool names, then everything else is "other"');
    assert.ok(tools.has('other'));
    assert.equal(total(records, 'ToolCalls', { tool: 'other', outcome: 'ok' }), 50 + 1);
    assert.equal(total(records, 'ToolCalls', { tool: 'tool_0', outcome: 'other' }), 1);
    assert.equal(total(records, 'Requests', { outcome: 'other' }), 1);
    assert.equal(total(records, 'Redactions', { kind: 'other' }), 1);
  });

  test('keeps latency samples bounded per interval while counting every request', async () => {
    const { obs, emf } = observability();
    const requests = MAX_SAMPLES_PER_INTERVAL * 4;
    for (let i = 0; i < requests; i += 1) obs.countRequest('ok', i % 250);
    obs.flush();

    const records = emf();
    assert.equal(total(records, 'Requests'), requests);
    assert.equal(total(records, 'Latency'), MAX_SAMPLES_PER_INTERVAL);
    for (const record of records) {
      if (Array.isArray(record.Latency)) assert.ok(record.Latency.length < 100, 'at most 99 values per EMF record');
      assert.deepEqual(record._aws.CloudWatchMetrics[0]?.Dimensions, [['service', 'region'], ['service', 'region', 'outcome']], 'every chunk keeps its dimensions');
    }
    await obs.close();
  });

  test('publishes on its own every interval, and once more on close', async () => {
    const { obs, emf } = observability(100);
    obs.countSession('opened');
    await sleep(350);
    assert.equal(total(emf(), 'SessionsOpened'), 1);

    obs.countSession('ended');
    await obs.close();
    assert.equal(total(emf(), 'SessionsEnded'), 1);

    obs.countSession('opened');
    obs.flush();
    assert.equal(total(emf(), 'SessionsOpened'), 1, 'counts after close are ignored');
  });

  test('refuses a flush interval out of range', () => {
    assert.throws(
      () => createObservability({ serviceName: 's', logLevel: 'INFO', metricsNamespace: 'N', region: 'r', metricsFlushIntervalMs: 10 }),
      /metricsFlushIntervalMs must be an integer from 100 to 300000 \(got 10\)/,
    );
  });
});
