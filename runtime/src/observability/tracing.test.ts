import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { createObservability, type Observability, traceHeaderValue } from './index.js';
import { captureStream, fakeXRayDaemon, type SegmentDocument } from './test-helpers.js';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';
const PARENT = '53995c3f42cd8ad8';
const X_RAY_ID = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;

function names(doc: SegmentDocument): string[] {
  return (doc.subsegments ?? []).map((sub) => sub.name);
}

function child(doc: SegmentDocument, name: string): SegmentDocument {
  const found = doc.subsegments?.find((sub) => sub.name === name);
  assert.ok(found, `subsegment ${name} in ${JSON.stringify(names(doc))}`);
  return found;
}

describe('request tracing', () => {
  let daemon: Awaited<ReturnType<typeof fakeXRayDaemon>>;
  let obs: Observability;
  const logs = captureStream();

  before(async () => {
    daemon = await fakeXRayDaemon();
    obs = createObservability({
      serviceName: 'enterprise-mcp',
      logLevel: 'INFO',
      metricsNamespace: 'EnterpriseMcpTest',
      region: 'eu-west-1',
      xrayDaemonAddress: daemon.address,
      // record every request that does not bring its own decision
      traceSampling: { fixedTargetPerSecond: 0, rate: 1 },
      isClientError: (cause) => cause instanceof Error && cause.name === 'InvalidArguments',
      logStream: logs.stream,
    });
  });

  after(async () => {
    await obs.close();
    await daemon.close();
  });

  test('sends one segment per request, continuing the incoming X-Amzn-Trace-Id, with a subsegment per step', async () => {
    // GIVEN a request traced by an upstream X-Ray caller
    const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Parent=${PARENT};Sampled=1` }, 'enterprise-mcp');

    // WHEN it goes through every step of the request path
    assert.equal(await trace.subsegment('authenticate', async () => 'principal'), 'principal');
    await trace.subsegment('session', async () => undefined);
    await trace.subsegment('policy', async () => true);
    await trace.subsegment('tool', async () => ({ content: [] }));
    await trace.subsegment('filter', async () => 0);
    trace.annotate('method', 'tools/call');
    trace.annotate('tool', 'whoami');
    trace.annotate('outcome', 'ok');
    trace.annotate('era', 'modern');
    trace.setHttp(200);
    trace.end();
    trace.end();

    // THEN the daemon receives the whole tree once, in the caller's trace
    const doc = await daemon.next();
    assert.equal(trace.traceId, ROOT);
    assert.equal(traceHeaderValue(trace), `Root=${ROOT};Sampled=1`);
    assert.equal(doc.name, 'enterprise-mcp');
    assert.equal(doc.trace_id, ROOT);
    assert.equal(doc.parent_id, PARENT);
    assert.match(doc.id, /^[0-9a-f]{16}$/);
    assert.equal(doc.in_progress, undefined);
    assert.ok(doc.end_time !== undefined && doc.end_time >= doc.start_time);
    assert.deepEqual(names(doc), ['authenticate', 'session', 'policy', 'tool', 'filter']);
    for (const sub of doc.subsegments ?? []) {
      assert.match(sub.id, /^[0-9a-f]{16}$/);
      assert.ok(sub.end_time !== undefined && sub.end_time >= sub.start_time, `${sub.name} is closed`);
      assert.equal(sub.in_progress, undefined);
      assert.equal(sub.fault, undefined);
    }
    assert.deepEqual(doc.annotations, { region: 'eu-west-1', method: 'tools/call', tool: 'whoami', outcome: 'ok', era: 'modern' });
    assert.deepEqual(doc.http, { response: { status: 200 } });
    assert.equal(doc.fault, undefined);
    assert.equal(doc.error, undefined);
    assert.equal(await daemon.receivesWithin(100), false, 'a second end() sends nothing');
  });

  test('accepts a W3C traceparent: trace id converted to X-Ray form, span id kept as parent', async () => {
    const trace = obs.startRequest({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }, 'enterprise-mcp');
    await trace.subsegment('authenticate', async () => undefined);
    trace.end();

    const doc = await daemon.next();
    assert.equal(trace.traceId, '1-4bf92f35-77b34da6a3ce929d0e0e4736');
    assert.equal(doc.trace_id, '1-4bf92f35-77b34da6a3ce929d0e0e4736');
    assert.equal(doc.parent_id, '00f067aa0ba902b7');
  });

  test('prefers a traceparent to the bare root an ALB adds, and keeps that root when there is no traceparent', async () => {
    const albRoot = '1-67891233-abcdef012345678912345678';
    const withW3c = obs.startRequest({ xAmznTraceId: `Root=${albRoot}`, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, 'mcp');
    const albOnly = obs.startRequest({ xAmznTraceId: `Self=1-67891234-12456789abcdef012345678;Root=${albRoot}` }, 'mcp');
    withW3c.end();
    albOnly.end();

    assert.equal(withW3c.traceId, '1-0af76519-16cd43dd8448eb211c80319c');
    assert.equal(albOnly.traceId, albRoot);
    const docs = [await daemon.next(), await daemon.next()];
    assert.deepEqual(docs.map((doc) => doc.trace_id).sort(), [albRoot, '1-0af76519-16cd43dd8448eb211c80319c'].sort());
    assert.equal(docs.find((doc) => doc.trace_id === albRoot)?.parent_id, undefined);
  });

  test('mints a new trace id when the headers are missing or malformed', async () => {
    for (const headers of [{}, { xAmznTraceId: 'Root=1-xyz;Parent=nope', traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }]) {
      const before = Math.floor(Date.now() / 1000);
      const trace = obs.startRequest(headers, 'mcp');
      trace.end();
      const doc = await daemon.next();
      assert.match(trace.traceId, X_RAY_ID);
      assert.equal(doc.trace_id, trace.traceId);
      assert.equal(doc.parent_id, undefined);
      const seconds = Number.parseInt(trace.traceId.slice(2, 10), 16);
      assert.ok(seconds >= before && seconds <= before + 5, 'the time part of a minted id is now');
    }
  });

  test('flags a throwing subsegment, closes it, and passes the error through unchanged', async () => {
    const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Sampled=1` }, 'mcp');
    const boom = new TypeError('secret argument value 4111 1111 1111 1111');
    await assert.rejects(
      trace.subsegment('tool', async () => {
        throw boom;
      }),
      (error) => error === boom,
    );
    const invalid = Object.assign(new Error('bad input'), { name: 'InvalidArguments' });
    await assert.rejects(
      trace.subsegment('validate', () => {
        throw invalid;
      }),
      (error) => error === invalid,
    );
    trace.setHttp(500);
    trace.end();

    const doc = await daemon.next();
    const tool = child(doc, 'tool');
    assert.equal(tool.fault, true);
    assert.ok(tool.end_time !== undefined);
    assert.equal(tool.cause?.exceptions.length, 1);
    assert.equal(tool.cause?.exceptions[0]?.type, 'TypeError');
    assert.equal(JSON.stringify(doc).includes('4111'), false, 'no exception message or argument value in the trace');
    const validate = child(doc, 'validate');
    assert.equal(validate.error, true, 'a client error is flagged as an error, not a fault');
    assert.equal(validate.fault, undefined);
    assert.equal(doc.fault, true, 'a 5xx response marks the segment as a fault');
  });

  test('records 4xx and 429 responses as errors and throttles', async () => {
    const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Sampled=1` }, 'mcp');
    trace.setHttp(429);
    trace.end();
    const doc = await daemon.next();
    assert.equal(doc.error, true);
    assert.equal(doc.throttle, true);
    assert.equal(doc.fault, undefined);
  });

  test('honours Sampled=0: nothing is sent, the trace id still exists and is answered with Sampled=0', async () => {
    const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Parent=${PARENT};Sampled=0` }, 'mcp');
    assert.equal(await trace.subsegment('tool', async () => 42), 42);
    trace.setHttp(200);
    trace.end();
    assert.equal(trace.traceId, ROOT);
    assert.equal(trace.sampled, false);
    assert.equal(traceHeaderValue(trace), `Root=${ROOT};Sampled=0`);
    assert.equal(await daemon.receivesWithin(200), false);
  });

  test('keeps annotations to safe labels', async () => {
    const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Sampled=1` }, 'mcp');
    trace.annotate('method', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl');
    trace.annotate('tool', 'john.doe@example.com');
    trace.end();
    const doc = await daemon.next();
    assert.deepEqual(doc.annotations, { region: 'eu-west-1', method: 'invalid', tool: 'invalid' });
  });

  describe('AWS SDK calls', () => {
    let server: Server;
    let endpoint: string;
    const seen: Array<{ traceHeader: string | undefined; target: string | undefined }> = [];
    let answer: { status: number; body: unknown } = { status: 200, body: { TableNames: ['sessions'] } };

    before(async () => {
      server = createServer((req: IncomingMessage, res) => {
        seen.push({ traceHeader: req.headers['x-amzn-trace-id'] as string | undefined, target: req.headers['x-amz-target'] as string | undefined });
        req.resume();
        req.on('end', () => {
          res.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ-1234' });
          res.end(JSON.stringify(answer.body));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    function dynamo(): DynamoDBClient {
      return obs.captureAwsClient(
        new DynamoDBClient({ region: 'eu-west-1', endpoint, maxAttempts: 1, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' } }),
      );
    }

    test('records a call made inside a subsegment as an aws subsegment of it and propagates the trace header', async () => {
      const client = dynamo();
      try {
        answer = { status: 200, body: { TableNames: ['sessions'] } };
        const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Sampled=1` }, 'mcp');
        const tables = await trace.subsegment('session', async () => (await client.send(new ListTablesCommand({}))).TableNames);
        await client.send(new ListTablesCommand({})); // outside any subsegment: not recorded
        trace.end();

        assert.deepEqual(tables, ['sessions']);
        const doc = await daemon.next();
        const session = child(doc, 'session');
        const call = child(session, 'DynamoDB');
        assert.equal(call.namespace, 'aws');
        assert.deepEqual(call.aws, { operation: 'ListTables', region: 'eu-west-1', request_id: 'REQ-1234', retries: 0 });
        assert.deepEqual(call.http, { response: { status: 200 } });
        assert.deepEqual(names(doc), ['session'], 'the untraced call added nothing');
        assert.equal(seen[0]?.traceHeader, `Root=${ROOT};Parent=${call.id};Sampled=1`);
        assert.equal(seen[1]?.traceHeader, undefined);
      } finally {
        client.destroy();
      }
    });

    test('flags a throttled call', async () => {
      const client = dynamo();
      try {
        answer = {
          status: 400,
          body: { __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' },
        };
        const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Sampled=1` }, 'mcp');
        await assert.rejects(trace.subsegment('session', () => client.send(new ListTablesCommand({}))));
        trace.end();

        const call = child(child(await daemon.next(), 'session'), 'DynamoDB');
        assert.equal(call.throttle, true);
        assert.equal(call.error, true);
        assert.equal(call.cause?.exceptions[0]?.type, 'ProvisionedThroughputExceededException');
      } finally {
        client.destroy();
      }
    });
  });
});

describe('tracing off', () => {
  test('requests still get a trace id and their steps run untraced', async () => {
    const obs = createObservability({ serviceName: 'svc', logLevel: 'INFO', metricsNamespace: 'Ns', region: 'eu-west-1', logStream: captureStream().stream });
    try {
      const trace = obs.startRequest({ xAmznTraceId: `Root=${ROOT};Parent=${PARENT};Sampled=1` }, 'svc');
      assert.equal(trace.traceId, ROOT);
      assert.equal(trace.sampled, false);
      assert.equal(traceHeaderValue(trace), `Root=${ROOT};Sampled=0`);
      assert.equal(await trace.subsegment('tool', async () => 'result'), 'result');
      const failure = new Error('x');
      await assert.rejects(trace.subsegment('tool', async () => Promise.reject(failure)), (error) => error === failure);
      trace.annotate('method', 'tools/call');
      trace.setHttp(200);
      trace.end();
      assert.match(obs.startRequest({}, 'svc').traceId, X_RAY_ID);
      const client = { middlewareStack: { add: () => assert.fail('no middleware when tracing is off') } };
      assert.equal(obs.captureAwsClient(client), client);
    } finally {
      await obs.close();
    }
  });

  test('a bad daemon address fails at start-up with the value in the message', () => {
    assert.throws(
      () => createObservability({ serviceName: 'svc', logLevel: 'INFO', metricsNamespace: 'Ns', region: 'eu-west-1', xrayDaemonAddress: 'xray-daemon' }),
      /xrayDaemonAddress must be host:port \(got "xray-daemon"\)/,
    );
  });
});
