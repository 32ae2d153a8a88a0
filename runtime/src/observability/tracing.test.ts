import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DEV_AWS_ENVIRONMENT, startDevStore, type DevStore } from '../dev/store.js';
import { createObservability, type Observability, type ObservabilityOptions, type OtlpProtocol } from './index.js';
import { captureStream, otlpReceiver, type OtlpReceiver, type ReceivedSpan } from './test-helpers.js';
import { toW3cTraceId } from './trace-context.js';

const SERVER = 2;
const CLIENT = 3;
const INTERNAL = 1;

const ALWAYS = { fixedTargetPerSecond: 0, rate: 1 } as const;
const NEVER = { fixedTargetPerSecond: 0, rate: 0 } as const;

function newXRayRoot(): string {
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function observability(receiver: OtlpReceiver, protocol: OtlpProtocol, extra: Partial<ObservabilityOptions> = {}): { obs: Observability; log: ReturnType<typeof captureStream> } {
  const log = captureStream();
  const obs = createObservability({
    serviceName: 'enterprise-mcp',
    logLevel: 'INFO',
    metricsNamespace: 'Test',
    region: 'eu-west-1',
    logStream: log.stream,
    otlp: { url: receiver.tracesUrl, protocol },
    traceSampling: ALWAYS,
    ...extra,
  });
  return { obs, log };
}

function byName(spans: ReceivedSpan[]): Map<string, ReceivedSpan> {
  return new Map(spans.map((span) => [span.name, span]));
}

for (const protocol of ['http/json', 'http/protobuf'] as const) {
  describe(`OpenTelemetry tracing over OTLP ${protocol}`, () => {
    let receiver: OtlpReceiver;
    let obs: Observability;

    before(async () => {
      receiver = await otlpReceiver();
      ({ obs } = observability(receiver, protocol));
    });
    after(async () => {
      await obs.close();
      await receiver.close();
    });

    test('one SERVER span per request, the steps as its children, the labels as attributes, an X-Ray trace id', async () => {
      const trace = obs.startRequest({}, 'mcp');
      assert.match(trace.traceId, /^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      const seconds = Number.parseInt(trace.traceId.slice(2, 10), 16);
      assert.ok(Math.abs(seconds - Date.now() / 1000) < 60, 'the first 8 hex digits are the epoch seconds, as X-Ray requires');
      await trace.step('authenticate', async () => undefined);
      trace.annotate('principal', '0123456789abcdef');
      trace.annotate('client_id', 'https://client.example.com/meta.json');
      trace.continueFrom(undefined);
      for (const step of ['session', 'policy', 'tool', 'filter']) await trace.step(step, async () => undefined);
      trace.annotate('method', 'tools/call');
      trace.annotate('tool', 'whoami');
      trace.annotate('era', 'legacy');
      trace.annotate('outcome', 'ok');
      trace.setHttp(200);
      trace.end();
      await obs.flushTraces();
      const spans = await receiver.waitForTrace(toW3cTraceId(trace.traceId), 6);
      assert.ok(spans.every((span) => span.format === (protocol === 'http/json' ? 'json' : 'protobuf')));
      const named = byName(spans);
      const root = named.get('mcp')!;
      assert.equal(root.kind, SERVER);
      assert.equal(root.parentSpanId, '', 'a new trace: the request span has no parent');
      assert.equal(root.spanId, trace.spanId);
      for (const step of ['authenticate', 'session', 'policy', 'tool', 'filter']) {
        const span = named.get(step);
        assert.ok(span, `${step} is a span`);
        assert.equal(span.parentSpanId, root.spanId, `${step} is a child of the request span`);
        assert.equal(span.kind, INTERNAL);
        assert.ok(span.startNanos >= root.startNanos - 1_000_000n && span.endNanos <= root.endNanos + 1_000_000n, `${step} lies within the request`);
      }
      assert.deepEqual(
        { ...root.attributes },
        {
          region: 'eu-west-1',
          principal: '0123456789abcdef',
          client_id: 'https://client.example.com/meta.json',
          method: 'tools/call',
          tool: 'whoami',
          era: 'legacy',
          outcome: 'ok',
          'http.response.status_code': 200,
        },
      );
      assert.equal(root.resource['service.name'], 'enterprise-mcp');
      assert.equal(root.resource['cloud.region'], 'eu-west-1');
    });

    test('continues an X-Amzn-Trace-Id with a parent, without reading its Sampled flag', async () => {
      const root = newXRayRoot();
      const parent = randomBytes(8).toString('hex');
      const trace = obs.startRequest({ xAmznTraceId: `Root=${root};Parent=${parent};Sampled=0` }, 'mcp');
      assert.equal(trace.traceId, root);
      assert.equal(trace.sampled, true, 'Sampled=0 does not stop the kit recording what its rule picks');
      assert.equal(obs.traceHeaderValue(trace), `Root=${root};Sampled=1`);
      trace.end();
      await obs.flushTraces();
      const [span] = await receiver.waitForTrace(toW3cTraceId(root as never), 1);
      assert.equal(span!.parentSpanId, parent);
    });

    test('continues a W3C traceparent and keeps its tracestate', async () => {
      const traceHex = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const trace = obs.startRequest({ traceparent: `00-${traceHex}-${parent}-00`, tracestate: 'vendor=opaque1' }, 'mcp');
      assert.equal(trace.traceId, `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`);
      await trace.step('session', async () => undefined);
      trace.end();
      await obs.flushTraces();
      const spans = await receiver.waitForTrace(traceHex, 2);
      const named = byName(spans);
      assert.equal(named.get('mcp')!.parentSpanId, parent);
      assert.equal(named.get('mcp')!.traceState, 'vendor=opaque1');
      assert.equal(named.get('session')!.parentSpanId, named.get('mcp')!.spanId);
    });

    test('continues the _meta.traceparent of a request that arrived with only the ALB root, with the steps run before it', async () => {
      const albRoot = newXRayRoot();
      const traceHex = randomBytes(16).toString('hex');
      const parent = randomBytes(8).toString('hex');
      const trace = obs.startRequest({ xAmznTraceId: `Root=${albRoot}` }, 'mcp');
      assert.equal(trace.traceId, albRoot, 'until the body is read, the ALB root is the correlation id');
      await trace.step('authenticate', async () => undefined);
      trace.continueFrom({ traceparent: `00-${traceHex}-${parent}-01`, tracestate: 'mcp=client', baggage: 'user.email=someone@example.com' });
      assert.equal(trace.traceId, `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`);
      trace.continueFrom({ traceparent: `00-${randomBytes(16).toString('hex')}-${parent}-01` });
      assert.equal(trace.traceId, `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`, 'the first continuation wins');
      await trace.step('tool', async () => undefined);
      trace.end();
      await obs.flushTraces();
      const named = byName(await receiver.waitForTrace(traceHex, 3));
      assert.equal(named.get('mcp')!.parentSpanId, parent);
      assert.equal(named.get('authenticate')!.parentSpanId, named.get('mcp')!.spanId, 'the early step is recorded under the request span');
      assert.equal(named.get('tool')!.parentSpanId, named.get('mcp')!.spanId);
      assert.ok(!receiver.bodies.join('').includes('someone@example.com'), 'baggage is never recorded');
    });

    test('a parent named in the headers wins over _meta; a malformed _meta.traceparent changes nothing', async () => {
      const root = newXRayRoot();
      const headed = obs.startRequest({ xAmznTraceId: `Root=${root};Parent=${randomBytes(8).toString('hex')}` }, 'mcp');
      headed.continueFrom({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` });
      assert.equal(headed.traceId, root);
      headed.end();
      const bare = obs.startRequest({ xAmznTraceId: `Root=${root}` }, 'mcp');
      bare.continueFrom({ traceparent: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.x' });
      assert.equal(bare.traceId, root);
      bare.end();
    });

    test('a failing step records its error type only: a fault sets ERROR, nothing of the message or stack is sent', async () => {
      const secret = `secret-${randomBytes(6).toString('hex')}`;
      const trace = obs.startRequest({}, 'mcp');
      trace.continueFrom(undefined);
      await assert.rejects(trace.step('tool', () => Promise.reject(new TypeError(`bad ${secret} for dana@example.com`))), TypeError);
      trace.annotate('tool', `Bearer ${secret}`);
      trace.annotate('principal', 'dana@example.com');
      trace.setHttp(500);
      trace.end();
      await obs.flushTraces();
      const named = byName(await receiver.waitForTrace(toW3cTraceId(trace.traceId), 2));
      assert.equal(named.get('tool')!.statusCode, 2);
      assert.equal(named.get('tool')!.attributes['error.type'], 'TypeError');
      assert.equal(named.get('tool')!.statusMessage, '');
      assert.equal(named.get('mcp')!.statusCode, 2, 'a 5xx answer is an error');
      assert.equal(named.get('mcp')!.attributes.tool, 'invalid');
      assert.equal(named.get('mcp')!.attributes.principal, 'invalid');
      const everything = receiver.bodies.join('');
      assert.ok(!everything.includes(secret), 'no message, argument or token in any export');
      assert.ok(!everything.includes('dana@example.com'));
    });
  });
}

describe('sampling is the kit\'s own decision', () => {
  test('a client\'s Sampled=1 and traceparent flags 01 do not make the kit record a request its rule skips', async () => {
    const receiver = await otlpReceiver();
    const { obs } = observability(receiver, 'http/json', { traceSampling: NEVER });
    try {
      const root = newXRayRoot();
      const forcedAmzn = obs.startRequest({ xAmznTraceId: `Root=${root};Parent=${randomBytes(8).toString('hex')};Sampled=1` }, 'mcp');
      const traceHex = randomBytes(16).toString('hex');
      const forcedW3c = obs.startRequest({ traceparent: `00-${traceHex}-${randomBytes(8).toString('hex')}-01` }, 'mcp');
      for (const trace of [forcedAmzn, forcedW3c]) {
        assert.equal(trace.sampled, false);
        assert.equal(trace.spanId, undefined);
        assert.match(obs.traceHeaderValue(trace), /;Sampled=0$/);
        await trace.step('authenticate', async () => undefined);
        trace.end();
      }
      assert.equal(forcedAmzn.traceId, root, 'the trace id is still continued');
      assert.equal(forcedW3c.traceId, `1-${traceHex.slice(0, 8)}-${traceHex.slice(8)}`);
      // A recorded request afterwards shows the exporter works, so the silence above is the rule's doing.
      const control = createObservability({ serviceName: 'enterprise-mcp', logLevel: 'INFO', metricsNamespace: 'Test', region: 'eu-west-1', logStream: captureStream().stream, otlp: { url: receiver.tracesUrl, protocol: 'http/json' }, traceSampling: ALWAYS });
      const recorded = control.startRequest({}, 'mcp');
      recorded.end();
      await control.flushTraces();
      await obs.flushTraces();
      await receiver.waitForTrace(toW3cTraceId(recorded.traceId), 1);
      assert.equal(receiver.spans.length, 1, 'only the control request was exported');
      await control.close();
    } finally {
      await obs.close();
      await receiver.close();
    }
  });
});

describe('AWS SDK calls', () => {
  let store: DevStore;
  let receiver: OtlpReceiver;
  let obs: Observability;

  before(async () => {
    store = await startDevStore(`tracing-${randomBytes(4).toString('hex')}`);
    receiver = await otlpReceiver();
    ({ obs } = observability(receiver, 'http/protobuf'));
  });
  after(async () => {
    await obs.close();
    await receiver.close();
    await store.close();
  });

  test('become CLIENT spans of the step that made them and carry traceparent and X-Amzn-Trace-Id', async () => {
    const client = obs.captureAwsClient(
      new DynamoDBClient({
        region: 'eu-west-1',
        endpoint: store.endpoint,
        credentials: { accessKeyId: DEV_AWS_ENVIRONMENT.AWS_ACCESS_KEY_ID, secretAccessKey: DEV_AWS_ENVIRONMENT.AWS_SECRET_ACCESS_KEY },
      }),
    );
    // Observes the request as it leaves (after signing); it changes nothing.
    const sent: Array<Record<string, string>> = [];
    client.middlewareStack.add(
      (next) => async (args) => {
        sent.push({ ...(args.request as { headers: Record<string, string> }).headers });
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'testObserveHeaders' },
    );
    const trace = obs.startRequest({}, 'mcp');
    trace.continueFrom(undefined);
    await trace.step('session', async () => {
      await client.send(new DescribeTableCommand({ TableName: store.tableName }));
      await client.send(new GetItemCommand({ TableName: store.tableName, Key: { pk: { S: 'secret-key-value' }, sk: { S: 'x' } } })).catch(() => undefined);
    });
    const outside = await client.send(new DescribeTableCommand({ TableName: store.tableName }));
    assert.ok(outside.Table, 'calls outside a step pass through');
    trace.end();
    await obs.flushTraces();
    const spans = await receiver.waitForTrace(toW3cTraceId(trace.traceId), 4);
    const session = spans.find((span) => span.name === 'session')!;
    const calls = spans.filter((span) => span.kind === CLIENT);
    assert.deepEqual(calls.map((span) => span.name).sort(), ['DynamoDB.DescribeTable', 'DynamoDB.GetItem']);
    for (const call of calls) {
      assert.equal(call.parentSpanId, session.spanId);
      assert.equal(call.attributes['rpc.system'], 'aws-api');
      assert.equal(call.attributes['rpc.service'], 'DynamoDB');
      assert.deepEqual(call.attributes['aws.dynamodb.table_names'], [store.tableName]);
      assert.equal(call.attributes['cloud.region'], 'eu-west-1');
    }
    const describe = calls.find((span) => span.name === 'DynamoDB.DescribeTable')!;
    assert.equal(describe.attributes['http.response.status_code'], 200);
    assert.equal(sent.length, 3);
    const traceHex = toW3cTraceId(trace.traceId);
    const traced = sent.filter((headers) => headers.traceparent !== undefined);
    assert.equal(traced.length, 2, 'only the calls inside the step carry the trace context');
    const spanIds = new Set(calls.map((span) => span.spanId));
    for (const headers of traced) {
      const [, id, parent, flags] = headers.traceparent!.split('-');
      assert.equal(id, traceHex);
      assert.ok(spanIds.has(parent!), 'the parent is the CLIENT span of that call');
      assert.equal(flags, '01');
      assert.match(headers['x-amzn-trace-id'] ?? headers['X-Amzn-Trace-Id'] ?? '', new RegExp(`^Root=${trace.traceId};Parent=${parent};Sampled=1$`));
    }
    assert.ok(!receiver.bodies.join('').includes('secret-key-value'), 'no key or item value in a span');
    client.destroy();
  });
});

describe('tracing off or failing', () => {
  test('without an endpoint every request still gets a trace id and nothing is recorded', async () => {
    const obs = createObservability({ serviceName: 's', logLevel: 'INFO', metricsNamespace: 'T', region: 'eu-west-1', logStream: captureStream().stream });
    const trace = obs.startRequest({ traceparent: `00-${randomBytes(16).toString('hex')}-${randomBytes(8).toString('hex')}-01` }, 'mcp');
    assert.equal(trace.sampled, false);
    assert.equal(await trace.step('tool', async () => 42), 42);
    trace.end();
    await obs.close();
  });

  test('an endpoint that refuses is reported once in the log and never fails a request', async () => {
    // A real endpoint that answers 400 to every export: a refusal the exporter does not retry.
    const receiver = await otlpReceiver();
    const url = receiver.tracesUrl.replace('/v1/traces', '/not-traces');
    const log = captureStream();
    const obs = createObservability({ serviceName: 's', logLevel: 'INFO', metricsNamespace: 'T', region: 'eu-west-1', logStream: log.stream, otlp: { url, protocol: 'http/json' }, traceSampling: ALWAYS });
    for (let round = 0; round < 3; round += 1) {
      const trace = obs.startRequest({}, 'mcp');
      await trace.step('tool', async () => undefined);
      trace.end();
      await obs.flushTraces();
    }
    const warnings = log.records().filter((record) => String(record.message).includes('cannot be exported'));
    assert.equal(warnings.length, 1);
    assert.ok(receiver.contentTypes.length >= 3, 'every round was sent and refused');
    await obs.close();
    await receiver.close();
  });

  test('refuses an OTLP endpoint that is not an http URL, or an unknown protocol', () => {
    const base = { serviceName: 's', logLevel: 'INFO', metricsNamespace: 'T', region: 'eu-west-1' } as const;
    assert.throws(() => createObservability({ ...base, otlp: { url: 'udp://127.0.0.1:2000', protocol: 'http/json' } }), /otlp.url must be an http or https URL/);
    assert.throws(() => createObservability({ ...base, otlp: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'grpc' as never } }), /otlp.protocol must be http\/json or http\/protobuf \(got "grpc"\)/);
  });
});
