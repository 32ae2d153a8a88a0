import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { continueFromMeta, fromW3cTraceId, mintTraceId, parseAmznTraceHeader, parseTraceparent, resolveTraceContext, toW3cTraceId, TraceSampler } from './trace-context.js';

const ROOT = '1-5759e988-bd862e3fe1be46a994272793';

describe('parseAmznTraceHeader', () => {
  test('reads Root, Parent and Sampled in any order and case, ignoring other fields', () => {
    assert.deepEqual(parseAmznTraceHeader(`Self=1-67891234-12456789abcdef012345678;root=${ROOT}; Sampled=1 ;Parent=53995c3f42cd8ad8;Lineage=a87bd80c:1`), {
      traceId: ROOT,
      parentId: '53995c3f42cd8ad8',
    });
    assert.deepEqual(parseAmznTraceHeader(`Root=${ROOT};Sampled=?`), { traceId: ROOT });
    assert.deepEqual(parseAmznTraceHeader(`Root=${ROOT};Sampled=0;Parent=not-hex`), { traceId: ROOT }, 'the caller\'s sampling flag is not read');
  });

  test('ignores a header without a well-formed root, or one too long to be genuine', () => {
    for (const value of [undefined, '', 'Parent=53995c3f42cd8ad8', 'Root=1-5759e988-bd862e3f', `Root=${ROOT.toUpperCase()}`, `Root=${ROOT}x`, `Root=${ROOT};${'x=1;'.repeat(300)}`]) {
      assert.equal(parseAmznTraceHeader(value), undefined, String(value).slice(0, 40));
    }
  });
});

describe('parseTraceparent', () => {
  test('converts the trace id to X-Ray form and keeps the parent span, not the flags', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      traceId: '1-4bf92f35-77b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
    });
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00'), parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'));
    assert.equal(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03-extra')?.parentId, '00f067aa0ba902b7', 'a later version with extra fields');
  });

  test('refuses what the W3C specification refuses', () => {
    for (const value of [
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
    ]) {
      assert.equal(parseTraceparent(value), undefined, value);
    }
  });
});

describe('resolveTraceContext', () => {
  test('mints an id from the clock and 96 random bits', () => {
    const id = mintTraceId(Date.UTC(2026, 0, 1));
    assert.match(id, /^1-6955b900-[0-9a-f]{24}$/);
    assert.notEqual(mintTraceId(), mintTraceId());
    assert.deepEqual(Object.keys(resolveTraceContext({})), ['traceId']);
  });

  test('a traced X-Ray caller wins over a traceparent', () => {
    const context = resolveTraceContext({ xAmznTraceId: `Root=${ROOT};Parent=53995c3f42cd8ad8`, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    assert.equal(context.traceId, ROOT);
  });
});

describe('continueFromMeta', () => {
  const meta = { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'a=1' };

  test('continues the _meta context when the headers named no parent, keeping its tracestate', () => {
    assert.deepEqual(continueFromMeta(resolveTraceContext({ xAmznTraceId: `Root=${ROOT}` }), meta), {
      traceId: '1-4bf92f35-77b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      tracestate: 'a=1',
    });
  });

  test('keeps a parent the headers named, and ignores a _meta context that is not a valid traceparent', () => {
    const headed = resolveTraceContext({ xAmznTraceId: `Root=${ROOT};Parent=53995c3f42cd8ad8` });
    assert.equal(continueFromMeta(headed, meta), headed);
    const bare = resolveTraceContext({ xAmznTraceId: `Root=${ROOT}` });
    for (const bad of [undefined, {}, { traceparent: 42 }, { traceparent: 'x'.repeat(2000) }, { traceparent: meta.traceparent.toUpperCase() }]) {
      assert.equal(continueFromMeta(bare, bad as never), bare);
    }
    assert.equal(continueFromMeta(bare, { traceparent: meta.traceparent, tracestate: 'x'.repeat(600) }).tracestate, undefined, 'an oversized tracestate is dropped');
  });

  test('converts between the X-Ray and the W3C form of one trace id', () => {
    assert.equal(toW3cTraceId(ROOT as never), '5759e988bd862e3fe1be46a994272793');
    assert.equal(fromW3cTraceId('5759e988bd862e3fe1be46a994272793'), ROOT);
  });
});

describe('TraceSampler', () => {
  test('takes the fixed target each second, then the rate', () => {
    let now = 1_000_000;
    const draws = [0.01, 0.5, 0.04];
    const sampler = new TraceSampler({ fixedTargetPerSecond: 2, rate: 0.05 }, () => now, () => draws.shift() ?? 1);
    assert.deepEqual([sampler.sample(), sampler.sample(), sampler.sample(), sampler.sample(), sampler.sample()], [true, true, true, false, true]);
    now += 1000;
    assert.deepEqual([sampler.sample(), sampler.sample(), sampler.sample()], [true, true, false]);
  });
});
