import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { createObservability } from './index.js';
import { captureStream, otlpReceiver } from './test-helpers.js';
import { toW3cTraceId } from './trace-context.js';

// Immediates are left out: the test's own waits use them.
const TRACKED = new Set(['Timeout', 'TCPWRAP', 'TCPCONNECTWRAP', 'GETADDRINFOREQWRAP']);

function count(resources: string[], type: string): number {
  return resources.filter((resource) => resource === type).length;
}

/** Turns the event loop (with immediates, which are not watched) until `done()` or for 5 s at most. */
async function settle(done: () => boolean = () => false): Promise<void> {
  const deadline = performance.now() + 5000;
  for (let i = 0; i < 5 || (!done() && performance.now() < deadline); i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('createObservability', () => {
  test('after close() nothing of the instance is left running: no socket, no timer', async () => {
    // GIVEN an OTLP receiver, and every timer and socket created from here on watched
    const receiver = await otlpReceiver();
    const before = process.getActiveResourcesInfo();
    const live = new Map<number, string>();
    const hook = createHook({
      init(asyncId, type) {
        if (TRACKED.has(type)) live.set(asyncId, type);
      },
      destroy(asyncId) {
        live.delete(asyncId);
      },
    }).enable();

    try {
      // WHEN an instance traces requests, counts metrics and is closed
      const obs = createObservability({
        serviceName: 'svc',
        logLevel: 'INFO',
        metricsNamespace: 'Ns',
        region: 'eu-west-1',
        otlp: { url: receiver.tracesUrl, protocol: 'http/protobuf' },
        metricsFlushIntervalMs: 100,
        traceSampling: { fixedTargetPerSecond: 0, rate: 1 },
        logStream: captureStream().stream,
      });
      for (let i = 0; i < 3; i += 1) {
        const trace = obs.startRequest({}, 'svc');
        await trace.step('tool', async () => i);
        trace.end();
        obs.countRequest('ok', i);
      }
      const last = obs.startRequest({}, 'svc');
      last.end();
      await obs.flushTraces();
      assert.ok([...live.values()].includes('TCPWRAP'), 'a connection was open');
      assert.ok([...live.values()].includes('Timeout'), 'a flush timer was running');
      await obs.close();
      await obs.close();
      await settle(() => live.size === 0);

      // THEN every timer and socket it created is gone
      assert.deepEqual([...live.values()], []);
      // (its handles are unreferenced, so they never showed here; the hook above is the real check)
      const after = process.getActiveResourcesInfo();
      for (const type of ['Timeout', 'TCPWRAP']) assert.equal(count(after, type), count(before, type), type);

      // AND the span ended just before close() still left
      assert.equal((await receiver.waitForTrace(toW3cTraceId(last.traceId), 1)).length, 1);
      const exported = receiver.spans.length;

      // AND using it afterwards is harmless
      const late = obs.startRequest({}, 'svc');
      assert.equal(late.sampled, false);
      assert.equal(await late.step('tool', async () => 'still runs'), 'still runs');
      late.end();
      obs.countRequest('ok', 1);
      obs.flush();
      await obs.flushTraces();
      assert.equal(receiver.spans.length, exported, 'nothing is exported after close()');
    } finally {
      hook.disable();
      await receiver.close();
    }
  });

  test('fails at start-up on bad options, naming the option and the value', () => {
    const good = { serviceName: 'svc', logLevel: 'INFO', metricsNamespace: 'Ns', region: 'eu-west-1' } as const;
    assert.throws(() => createObservability({ ...good, serviceName: ' ' }), /serviceName must be a non-empty string .*\(got " "\)/);
    assert.throws(() => createObservability({ ...good, region: '' }), /region must be a non-empty string/);
    assert.throws(() => createObservability({ ...good, logLevel: 'TRACE' as 'INFO' }), /logLevel must be DEBUG, INFO, WARN or ERROR \(got "TRACE"\)/);
    assert.throws(
      () => createObservability({ ...good, otlp: { url: 'http://127.0.0.1:4318/v1/traces', protocol: 'http/json' }, traceSampling: { fixedTargetPerSecond: 1, rate: 2 } }),
      /traceSampling.rate must be between 0 and 1 \(got 2\)/,
    );
    assert.throws(() => createObservability({ ...good, traceExportDelayMs: 5 }), /traceExportDelayMs must be an integer from 10 to 60000 \(got 5\)/);
  });
});
