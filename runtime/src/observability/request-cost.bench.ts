/**
 * What observability costs one request, measured in this process.
 * Run: `npx tsx runtime/src/observability/request-cost.bench.ts`
 *
 * Each case is what the HTTP layer does once per request; lines go to a stream that drops them,
 * segments to a UDP socket on loopback that nothing reads.
 */
import dgram from 'node:dgram';
import { Writable } from 'node:stream';
import { createObservability, type Observability } from './index.js';

const ITERATIONS = 20_000;
const STEPS = ['authenticate', 'session', 'policy', 'tool', 'filter'] as const;
const HEADER = { xAmznTraceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' };

async function request(obs: Observability, headers: { xAmznTraceId?: string }): Promise<void> {
  const trace = obs.startRequest(headers, 'enterprise-mcp');
  for (const step of STEPS) await trace.subsegment(step, async () => undefined);
  trace.annotate('method', 'tools/call');
  trace.annotate('tool', 'whoami');
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
  });
  obs.countRequest('ok', 3.2);
  obs.countToolCall('whoami', 'ok', 2.1);
}

async function measure(label: string, obs: Observability, headers: { xAmznTraceId?: string }): Promise<void> {
  for (let i = 0; i < 2000; i += 1) await request(obs, headers);
  const started = performance.now();
  for (let i = 0; i < ITERATIONS; i += 1) await request(obs, headers);
  const perRequest = ((performance.now() - started) * 1000) / ITERATIONS;
  console.log(`${label.padEnd(48)} ${perRequest.toFixed(1)} µs per request`);
}

const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
const daemon = dgram.createSocket('udp4');
await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
const base = { serviceName: 'enterprise-mcp', logLevel: 'INFO', metricsNamespace: 'Bench', region: 'eu-west-1', logStream: sink } as const;

const off = createObservability(base);
await measure('tracing off (trace id, access line, metrics)', off, {});
await off.close();

const on = createObservability({ ...base, xrayDaemonAddress: `127.0.0.1:${daemon.address().port}`, traceSampling: { fixedTargetPerSecond: 0, rate: 0 } });
await measure('tracing on, request not sampled', on, {});
await measure('tracing on, sampled: 5 subsegments + UDP send', on, HEADER);
await on.close();
daemon.close();
