import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { boundInputCapabilities } from './session-records.js';

describe('boundInputCapabilities', () => {
  test('keeps only the input kinds and their known sub-keys, as empty objects', () => {
    assert.deepEqual(
      boundInputCapabilities({
        elicitation: { form: { anything: 'x'.repeat(10_000) }, url: {}, other: {} },
        sampling: { tools: {}, context: 'not an object' },
        roots: { listChanged: true, extra: 1 },
        experimental: { huge: 'x'.repeat(10_000) },
      }),
      { elicitation: { form: {}, url: {} }, sampling: { tools: {} }, roots: { listChanged: true } },
    );
  });

  test('a kind not declared as an object is not kept', () => {
    assert.deepEqual(boundInputCapabilities({ elicitation: true, sampling: null, roots: [] }), {});
    assert.deepEqual(boundInputCapabilities('everything'), {});
    assert.deepEqual(boundInputCapabilities({ elicitation: {} }), { elicitation: {} });
  });
});
