import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { toW3cTraceId, type TraceId } from '../src/observability/index.js';
import { otlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../src/observability/test-helpers.js';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

const SERVER = 2;
const CLIENT = 3;

/** A tool that always fails, to see the correlation id of an error answer. */
const failing = defineTool({
  name: 'always_fails',
  title: 'Always fails',
  description: 'Fails every time.',
  input: z.strictObject({}),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async () => {
    throw new TypeError('failed for dana.whitfield@example.com');
  },
}) as ToolDefinition;

const TOOLS = [...DEFAULT_TOOLS, failing];

const MODERN_ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw-modern', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function modernHeaders(token: string, name: string): Record<string, string> {
  return { authorization: `Bearer ${token}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': name };
}

function xrayRoot(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function rootOf(spans: ReceivedSpan[]): ReceivedSpan {
  const root = spans.find((span) => span.kind === SERVER);
  assert.ok(root, 'the request has a SERVER span');
  return root;
}

function accessRecords(kit: Kit): Array<Record<string, unknown>> {
  return kit.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => 'outcome' in record && 'traceId' in record && 'status' in record);
}

const SAMPLE_ALL = { MCP_TRACE_SAMPLE_PER_SECOND: '0', MCP_TRACE_SAMPLE_RATE: '1' };

for (const protocol of ['http/json', 'http/protobuf'] as const) {
  describe(`traces end to end over OTLP ${protocol}`, () => {
    let kit: Kit;
    let receiver: OtlpReceiver;

    before(async () => {
      receiver = await otlpReceiver();
      kit = await startKit({ tools: TOOLS, env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, ...SAMPLE_ALL } });
    });
    after(async () => {
      await kit.close();
      await receiver.close();
    });

    async function spansOf(traceId: string): Promise<ReceivedSpan[]> {
      await kit.apps[0]!.observability.flushTraces();
      return receiver.waitForRequest(toW3cTraceId(traceId as TraceId));
    }

    test('a legacy tools/call continued from X-Amzn-Trace-Id: the request span, its steps, the DynamoDB calls, the labels', async () => {
      const token = await kit.token({ sub: 'alice', groups: ['staff'] });
      const initRoot = xrayRoot();
      const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}`, 'x-amzn-trace-id': `Root=${initRoot};Parent=${randomBytes(8).toString('hex')}` });
      const sessionId = init.headers.get('mcp-session-id')!;
      const initSpans = await spansOf(initRoot);
      const sessionStep = initSpans.find((span) => span.name === 'session');
      assert.ok(sessionStep, 'initialize has a session step');
      const dynamo = initSpans.filter((span) => span.kind === CLIENT);
      assert.ok(dynamo.length > 0, `storing the new session is a DynamoDB CLIENT span (got ${initSpans.map((s) => s.name).join(', ')})`);
      for (const call of dynamo) {
        assert.equal(call.attributes['rpc.system'], 'aws-api');
        assert.equal(call.parentSpanId, sessionStep.spanId, 'a DynamoDB call is a child of the step that made it');
      }
      const root = xrayRoot();
      const parent = randomBytes(8).toString('hex');
      const response = await post(kit.url, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'search_documents', arguments: { query: 'incident' } } }, {
        authorization: `Bearer ${token}`,
        'mcp-session-id': sessionId,
        'mcp-protocol-version': '2025-11-25',
        'x-amzn-trace-id': `Root=${root};Parent=${parent};Sampled=1`,
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-amzn-trace-id'), `Root=${root};Sampled=1`, 'the trace id is continued and returned');
      const spans = await spansOf(root);
      assert.ok(spans.every((span) => span.format === (protocol === 'http/json' ? 'json' : 'protobuf')));
      const request = rootOf(spans);
      assert.equal(request.parentSpanId, parent);
      const byName = new Map(spans.map((span) => [span.name, span]));
      for (const step of ['authenticate', 'session', 'policy', 'tool', 'filter']) {
        assert.equal(byName.get(step)?.parentSpanId, request.spanId, `${step} is a child of the request span (got ${spans.map((s) => s.name).join(', ')})`);
      }
      const access = accessRecords(kit).find((record) => record.traceId === root)!;
      assert.deepEqual(
        { method: request.attributes.method, tool: request.attributes.tool, era: request.attributes.era, outcome: request.attributes.outcome, principal: request.attributes.principal, status: request.attributes['http.response.status_code'] },
        { method: 'tools/call', tool: 'search_documents', era: 'legacy', outcome: 'ok', principal: access.principalHash, status: 200 },
      );
      assert.match(String(request.attributes.client_id), /^[A-Za-z0-9_./:-]{1,128}$/);
      assert.equal(access.spanId, request.spanId, 'the access record carries the span id');
      assert.equal(access.otelTraceId, request.traceId, 'and the OpenTelemetry trace id');
      const exported = receiver.bodies.join('\n');
      assert.ok(!exported.includes(token.split('.')[2]!.slice(0, 16)) && !exported.includes(token.split('.')[1]!.slice(0, 24)), 'no token in any span');
      assert.ok(!exported.includes('incident'), 'no argument value in any span');
      assert.ok(!exported.includes(sessionId), 'no session id in any span');
    });

    test('a 2026-07-28 tools/call behind the ALB continues its _meta.traceparent', async () => {
      const token = await kit.token({ sub: 'erin', groups: ['staff'] });
      const albRoot = xrayRoot();
      const traceHex = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const body = {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {}, _meta: { ...MODERN_ENVELOPE, traceparent: `00-${traceHex}-${parent}-01`, tracestate: 'client=1', baggage: 'user.mail=erin@example.com' } },
      };
      const response = await post(kit.url, body, { ...modernHeaders(token, 'whoami'), 'x-amzn-trace-id': `Root=${albRoot}` });
      assert.equal(response.status, 200, response.text);
      const expected = `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`;
      assert.equal(response.headers.get('x-amzn-trace-id'), `Root=${expected};Sampled=1`);
      const spans = await spansOf(expected);
      const request = rootOf(spans);
      assert.equal(request.parentSpanId, parent);
      assert.equal(request.traceState, 'client=1');
      assert.equal(request.attributes.era, 'modern');
      assert.equal(spans.find((span) => span.name === 'authenticate')?.parentSpanId, request.spanId, 'authentication, done before the body was read, is in the continued trace');
      assert.equal(accessRecords(kit).find((record) => record.traceId === expected)?.protocolEra, 'modern');
      assert.ok(!receiver.bodies.join('\n').includes('erin@example.com'), 'baggage is not recorded');
    });

    test('a W3C traceparent header is continued as the X-Ray trace id', async () => {
      const token = await kit.token({ sub: 'bob' });
      const traceHex = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const response = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}`, traceparent: `00-${traceHex}-${parent}-00` });
      assert.equal(response.status, 200);
      const expected = `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`;
      assert.equal(response.headers.get('x-amzn-trace-id'), `Root=${expected};Sampled=1`, 'flags 00 do not stop the kit recording');
      const request = rootOf(await spansOf(expected));
      assert.equal(request.parentSpanId, parent);
      assert.equal(request.attributes.method, 'initialize');
    });

    test('the correlation id of an error answer is the X-Ray form of the span\'s trace id, in both eras', async () => {
      const token = await kit.token({ sub: 'frank', groups: ['staff'] });
      const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
      const legacy = await post(kit.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'always_fails', arguments: {} } }, {
        authorization: `Bearer ${token}`,
        'mcp-session-id': init.headers.get('mcp-session-id')!,
        'mcp-protocol-version': '2025-11-25',
      });
      const modern = await post(kit.url, { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'always_fails', arguments: {}, _meta: MODERN_ENVELOPE } }, modernHeaders(token, 'always_fails'));
      for (const answer of [legacy, modern]) {
        const text = JSON.stringify(answer.json());
        const correlationId = /Correlation id: (1-[0-9a-f]{8}-[0-9a-f]{24})/.exec(text)?.[1];
        assert.ok(correlationId, `the error answer carries a correlation id (got ${text.slice(0, 200)})`);
        const spans = await spansOf(correlationId);
        const request = rootOf(spans);
        assert.equal(`1-${request.traceId.slice(0, 8)}-${request.traceId.slice(8)}`, correlationId);
        const tool = spans.find((span) => span.name === 'tool');
        assert.ok(tool, 'the failing tool has its span');
        assert.equal(request.attributes.tool, 'always_fails');
      }
      assert.ok(!receiver.bodies.join('\n').includes('dana.whitfield'), 'the failure message is not in any span');
    });
  });
}

describe('a client cannot make the kit record its requests', () => {
  let kit: Kit;
  let receiver: OtlpReceiver;

  before(async () => {
    receiver = await otlpReceiver();
    kit = await startKit({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, MCP_TRACE_SAMPLE_PER_SECOND: '0', MCP_TRACE_SAMPLE_RATE: '0' } });
  });
  after(async () => {
    await kit.close();
    await receiver.close();
  });

  test('Sampled=1 and traceparent flags 01 are answered Sampled=0 and nothing is exported', async () => {
    const token = await kit.token({ sub: 'mallory' });
    const root = xrayRoot();
    const byAmzn = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}`, 'x-amzn-trace-id': `Root=${root};Parent=${randomBytes(8).toString('hex')};Sampled=1` });
    const traceHex = randomBytes(16).toString('hex');
    const byW3c = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}`, traceparent: `00-${traceHex}-${randomBytes(8).toString('hex')}-01` });
    assert.equal(byAmzn.headers.get('x-amzn-trace-id'), `Root=${root};Sampled=0`);
    assert.equal(byW3c.headers.get('x-amzn-trace-id'), `Root=1-${traceHex.slice(0, 8)}-${traceHex.slice(8)};Sampled=0`);
    await kit.apps[0]!.observability.flushTraces();
    assert.equal(receiver.spans.length, 0, 'no span was exported');
    assert.equal(receiver.contentTypes.length, 0, 'no export request was even made');
  });
});

describe('logs and metrics end to end', () => {
  let kit: Kit;

  before(async () => {
    kit = await startKit();
  });
  after(async () => {
    await kit.close();
  });

  test('EMF metrics on stdout carry requests, latency, tool calls, auth failures and sessions', async () => {
    const token = await kit.token({ sub: 'gina', groups: ['staff'] });
    const init = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    await post(kit.url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'whoami', arguments: {} } }, {
      authorization: `Bearer ${token}`,
      'mcp-session-id': init.headers.get('mcp-session-id')!,
      'mcp-protocol-version': '2025-11-25',
    });
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
