/**
 * What observability costs one request, measured in this process.
 * Run: `npx tsx runtime/src/observability/request-cost.bench.ts`
 *
 * Each case is what the HTTP layer does once per request; lines go to a stream that drops them,
 * spans to an OTLP/HTTP endpoint on loopback (in this process) that reads and drops every export.
 * A sampled case includes exporting: every span is serialised and sent inside the timed part, and
 * so is the endpoint's reading of it; waiting for the loopback round trip of each export is
 * counted too, so the sampled figures are an upper bound.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createObservability, type Observability, type ObservabilityOptions } from './index.js';

const ITERATIONS = 20_000;
const STEPS = ['authenticate', 'session', 'policy', 'tool', 'filter'] as const;
const HEADER = { xAmznTraceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' };

async function request(obs: Observability, headers: { xAmznTraceId?: string }): Promise<void> {
  const trace = obs.startRequest(headers, 'mcp');
  await trace.step(STEPS[0], async () => undefined);
  trace.annotate('principal', '0123456789abcdef');
  trace.annotate('client_id', 'bench-client');
  trace.continueFrom(undefined);
  for (const step of STEPS.slice(1)) await trace.step(step, async () => undefined);
  trace.annotate('method', 'tools/call');
  trace.annotate('tool', 'whoami');
  trace.annotate('era', 'legacy');
  trace.annotate('outcome', 'ok');
  trace.setHttp(200);
  trace.end();
  obs.accessLog({
    status: 200,
    method: 'tools/call',
    tool: 'whoami',
    outcome: 'ok',
    latencyMs: 3.2,
    bytesIn: 120,
    bytesOut: 480,
    principalHash: obs.hashIdentifier('https://issuer.example.com|user-1'),
    traceId: trace.traceId,
    ...(trace.spanId ? { spanId: trace.spanId } : {}),
  });
  obs.countRequest('ok', 3.2);
  obs.countToolCall('whoami', 'ok', 2.1);
}

/**
 * Requests between two forced exports: 200 requests are 1,200 spans, well inside the batch
 * processor's queue (4,096), so no span is dropped and every one is serialised and sent. (A loop
 * this tight outruns the one-second export timer; at real sampled rates the timer is enough.)
 */
const FLUSH_EVERY = 200;

async function measure(label: string, obs: Observability, headers: { xAmznTraceId?: string }): Promise<number> {
  for (let i = 0; i < 2000; i += 1) {
    await request(obs, headers);
    if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await obs.flushTraces();
  }
  await obs.flushTraces();
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) {
    await request(obs, headers);
    if (i % FLUSH_EVERY === FLUSH_EVERY - 1) await obs.flushTraces();
  }
  await obs.flushTraces();
  const perRequest = ((performance.now() - started) * 1000) / ITERATIONS;
  console.log(`${label.padEnd(56)} ${perRequest.toFixed(1)} µs per request`);
  return perRequest;
}

let exports = 0;
let exportBytes = 0;
const collector = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => {
    exportBytes += chunk.length;
  });
  req.on('end', () => {
    exports += 1;
    res.writeHead(200, { 'content-type': String(req.headers['content-type'] ?? 'application/json') });
    res.end(String(req.headers['content-type']).includes('json') ? '{}' : '');
  });
});
await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;

const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const base: ObservabilityOptions = { serviceName: 'enterprise-mcp', logLevel: 'INFO', metricsNamespace: 'Bench', region: 'eu-west-1', logStream: sink };

const off = createObservability(base);
await measure('tracing off (trace id, access line, metrics)', off, {});
await off.close();

const skipped = createObservability({ ...base, otlp: { url, protocol: 'http/protobuf' }, traceSampling: { fixedTargetPerSecond: 0, rate: 0 } });
await measure('tracing on, request not sampled (client sent Sampled=1)', skipped, HEADER);
await skipped.close();

for (const protocol of ['http/protobuf', 'http/json'] as const) {
  const on = createObservability({ ...base, otlp: { url, protocol }, traceSampling: { fixedTargetPerSecond: 0, rate: 1 } });
  const bytesBefore = exportBytes;
  await measure(`tracing on, sampled: 6 spans + OTLP ${protocol} export`, on, HEADER);
  await on.close();
  console.log(`${''.padEnd(56)} ${((exportBytes - bytesBefore) / (ITERATIONS + 2000)).toFixed(0)} bytes of ${protocol} per recorded request`);
}
console.log(`(${exports} export requests received)`);
collector.closeAllConnections();
collector.close();
