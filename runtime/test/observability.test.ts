import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

interface SegmentDocument {
  name: string;
  id: string;
  trace_id?: string;
  parent_id?: string;
  type?: string;
  fault?: boolean;
  error?: boolean;
  annotations?: Record<string, unknown>;
  http?: { response?: { status?: number } };
  subsegments?: SegmentDocument[];
}

function names(segment: SegmentDocument): string[] {
  return [segment.name, ...(segment.subsegments ?? []).flatMap(names)];
}

describe('observability end to end', () => {
  let kit: Kit;
  let daemon: Socket;
  const segments: SegmentDocument[] = [];

  before(async () => {
    daemon = createSocket('udp4');
    daemon.on('message', (message) => {
      const [header, body] = message.toString('utf8').split('\n');
      assert.equal(JSON.parse(header!).format, 'json');
      segments.push(JSON.parse(body!) as SegmentDocument);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', () => resolve()));
    const { port } = daemon.address() as AddressInfo;
    kit = await startKit({ env: { AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${port}` } });
  });
  after(async () => {
    await kit.close();
    daemon.close();
  });

  async function waitForSegment(traceId: string): Promise<SegmentDocument[]> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = segments.filter((segment) => segment.trace_id === traceId);
      if (found.length > 0 || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  test('a traced tools/call sends one segment whose subsegments cover authentication, session, policy, tool and filter', async () => {
    const token = await kit.token({ sub: 'alice', groups: ['staff'] });
    const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    const sessionId = init.headers.get('mcp-session-id')!;
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const parent = randomBytes(8).toString('hex');
    const response = await post(kit.url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'search_documents', arguments: { query: 'incident' } } }, {
      authorization: `Bearer ${token}`,
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
      'x-amzn-trace-id': `Root=${root};Parent=${parent};Sampled=1`,
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('x-amzn-trace-id') ?? '', new RegExp(`Root=${root}`), 'the trace id is continued and returned');
    const [segment] = await waitForSegment(root);
    assert.ok(segment, 'the daemon received the segment');
    assert.equal(segment.parent_id, parent);
    const tree = names(segment);
    for (const step of ['authenticate', 'session', 'policy', 'tool', 'filter']) assert.ok(tree.includes(step), `${step} is a subsegment (got ${tree.join(', ')})`);
    assert.equal(segment.http?.response?.status, 200);
    assert.equal(segment.annotations?.tool, 'search_documents');
    const serialized = JSON.stringify(segment);
    assert.ok(!serialized.includes(token.split('.')[2]!.slice(0, 16)), 'no token in the trace');
    assert.ok(!serialized.includes('incident'), 'no argument value in the trace');
  });

  test('a W3C traceparent is accepted and continued as the X-Ray trace id', async () => {
    const token = await kit.token({ sub: 'bob' });
    const traceHex = randomBytes(16).toString('hex');
    const response = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}`, traceparent: `00-${traceHex}-${randomBytes(8).toString('hex')}-01` });
    assert.equal(response.status, 200);
    const expected = `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`;
    assert.match(response.headers.get('x-amzn-trace-id') ?? '', new RegExp(`Root=${expected}`));
    assert.ok((await waitForSegment(expected)).length > 0);
  });

  test('EMF metrics on stdout carry requests, latency, tool calls, auth failures and sessions', async () => {
    await post(kit.url, INITIALIZE, { authorization: 'Bearer garbage' });
    kit.apps[0]!.observability.flush();
    const records = kit.logs
      .map((line) => JSON.parse(line) as { _aws?: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit?: string }> }> } })
      .filter((record) => record._aws !== undefined);
    assert.ok(records.length > 0, 'EMF records were written');
    const metrics = new Map<string, { unit: string | undefined; dimensions: string[][] }>();
    for (const record of records) {
      for (const directive of record._aws!.CloudWatchMetrics) {
        assert.equal(directive.Namespace, kit.config.observability.metricsNamespace);
        for (const metric of directive.Metrics) metrics.set(metric.Name, { unit: metric.Unit, dimensions: directive.Dimensions });
      }
    }
    for (const name of ['Requests', 'Latency', 'ToolCalls', 'AuthFailures', 'SessionsOpened']) assert.ok(metrics.has(name), `${name} is published`);
    assert.equal(metrics.get('Latency')!.unit, 'Milliseconds');
    const authFailure = records.find((record) => record._aws!.CloudWatchMetrics.some((d) => d.Metrics.some((m) => m.Name === 'AuthFailures') && d.Dimensions.some((set) => set.includes('reason'))));
    assert.ok(authFailure, 'auth failures are broken down by reason');
  });

  test('access records have the documented fields, one per request, and hold no token, argument or personal data', async () => {
    const token = await kit.token({ sub: 'carol', groups: ['staff'] });
    const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    const sessionId = init.headers.get('mcp-session-id')!;
    const marker = `argument-marker-${randomBytes(6).toString('hex')}`;
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' };
    await post(kit.url, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'notes_add', arguments: { text: `${marker} call me on +1 415 555 0134 or mail dana.whitfield@example.com` } } }, headers);
    await post(kit.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'search_documents', arguments: { query: 'onboarding' } } }, headers);
    await post(kit.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'notes_add', arguments: { text: token } } }, headers);
    const access = kit.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => 'outcome' in record && 'traceId' in record && 'status' in record);
    assert.ok(access.length >= 4);
    const last = access[access.length - 1]!;
    for (const field of ['status', 'method', 'outcome', 'latencyMs', 'region', 'bytesIn', 'bytesOut', 'principalHash', 'sessionHash', 'traceId', 'protocolEra']) {
      assert.ok(field in last, `access record has ${field}`);
    }
    assert.equal(last.tool, 'notes_add');
    const everything = kit.logs.join('\n');
    assert.ok(!everything.includes(sessionId), 'no session id in clear');
    for (const secret of [marker, '555 0134', 'dana.whitfield', token.split('.')[1]!.slice(0, 24), token.split('.')[2]!.slice(0, 16)]) {
      assert.ok(!everything.includes(secret), `the logs do not contain ${secret.slice(0, 12)}…`);
    }
  });
});
