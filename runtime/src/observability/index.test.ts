import assert from 'node:assert/strict';
import { createHook } from 'node:async_hooks';
import { describe, test } from 'node:test';
import { createObservability } from './index.js';
import { captureStream, fakeXRayDaemon } from './test-helpers.js';

// Immediates are left out: the test's own waits use them.
const TRACKED = new Set(['Timeout', 'UDPWRAP', 'UDPSENDWRAP', 'GETADDRINFOREQWRAP']);

function count(resources: string[], type: string): number {
  return resources.filter((resource) => resource === type).length;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('createObservability', () => {
  test('after close() nothing of the instance is left running: no socket, no timer', async () => {
    // GIVEN a daemon, and every timer and socket created from here on watched
    const daemon = await fakeXRayDaemon();
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
        xrayDaemonAddress: daemon.address,
        metricsFlushIntervalMs: 100,
        traceSampling: { fixedTargetPerSecond: 0, rate: 1 },
        logStream: captureStream().stream,
      });
      for (let i = 0; i < 3; i += 1) {
        const trace = obs.startRequest({}, 'svc');
        await trace.subsegment('tool', async () => i);
        trace.end();
        obs.countRequest('ok', i);
      }
      const last = obs.startRequest({}, 'svc');
      last.end();
      assert.ok([...live.values()].includes('UDPWRAP'), 'a socket was open');
      assert.ok([...live.values()].includes('Timeout'), 'a flush timer was running');
      await obs.close();
      await obs.close();
      await settle();

      // THEN every timer and socket it created is gone
      assert.deepEqual([...live.values()], []);
      // (its handles are unreferenced, so they never showed here; the hook above is the real check)
      const after = process.getActiveResourcesInfo();
      for (const type of ['Timeout', 'UDPWRAP']) assert.equal(count(after, type), count(before, type), type);

      // AND the segment sent just before close() still left
      const received = [await daemon.next(), await daemon.next(), await daemon.next(), await daemon.next()];
      assert.equal(received.at(-1)?.trace_id, last.traceId);

      // AND using it afterwards is harmless
      const late = obs.startRequest({}, 'svc');
      assert.equal(late.sampled, false);
      assert.equal(await late.subsegment('tool', async () => 'still runs'), 'still runs');
      late.end();
      obs.countRequest('ok', 1);
      obs.flush();
      assert.equal(await daemon.receivesWithin(100), false);
    } finally {
      hook.disable();
      await daemon.close();
    }
  });

  test('fails at start-up on bad options, naming the option and the value', () => {
    const good = { serviceName: 'svc', logLevel: 'INFO', metricsNamespace: 'Ns', region: 'eu-west-1' } as const;
    assert.throws(() => createObservability({ ...good, serviceName: ' ' }), /serviceName must be a non-empty string .*\(got " "\)/);
    assert.throws(() => createObservability({ ...good, region: '' }), /region must be a non-empty string/);
    assert.throws(() => createObservability({ ...good, logLevel: 'TRACE' as 'INFO' }), /logLevel must be DEBUG, INFO, WARN or ERROR \(got "TRACE"\)/);
    assert.throws(
      () => createObservability({ ...good, xrayDaemonAddress: '127.0.0.1:2000', traceSampling: { fixedTargetPerSecond: 1, rate: 2 } }),
      /traceSampling.rate must be between 0 and 1 \(got 2\)/,
    );
  });
});
