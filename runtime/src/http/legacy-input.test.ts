import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ANSWER_ERRORS, checkAnswer, requestedContentSchema, type CheckedAnswer } from './legacy-answers.js';
import { PendingInputs, type PendingRequest } from './legacy-input.js';

const alice = { issuer: 'https://issuer.test', subject: 'alice', clientId: 'client-a' };
const bob = { issuer: 'https://issuer.test', subject: 'bob', clientId: 'client-a' };
const limits = { perSession: 2, perPrincipal: 3, deadlineMs: 60_000, pollMs: 100 };

const form = {
  mode: 'form',
  message: 'Who are you?',
  requestedSchema: {
    type: 'object',
    properties: {
      username: { type: 'string', maxLength: 20 },
      email: { type: 'string', format: 'email' },
      age: { type: 'integer', minimum: 0, maximum: 150 },
      status: { type: 'string', enum: ['active', 'inactive'] },
      tags: { type: 'array', items: { anyOf: [{ const: 'a', title: 'A' }, { const: 'b', title: 'B' }] } },
    },
    required: ['username'],
  },
};

function request(id: string, settled: CheckedAnswer[], overrides: Partial<PendingRequest> = {}): PendingRequest {
  return {
    sessionId: 'session-1',
    caller: alice,
    requestId: id,
    method: 'elicitation/create',
    params: form,
    notAfter: Date.now() + 3_600_000,
    settle: (answer) => settled.push(answer),
    ...overrides,
  };
}

describe('checkAnswer', () => {
  test('an accepted elicitation must match the requested schema exactly', () => {
    const ok = checkAnswer('elicitation/create', form, { result: { action: 'accept', content: { username: 'ann', email: 'a@example.com', age: 30, status: 'active', tags: ['a'] } } });
    assert.deepEqual(ok, { result: { action: 'accept', content: { username: 'ann', email: 'a@example.com', age: 30, status: 'active', tags: ['a'] } } });
    for (const content of [
      {},
      { username: 'x'.repeat(21) },
      { username: 'ann', extra: 'field' },
      { username: 'ann', email: 'not an email' },
      { username: 'ann', age: 1.5 },
      { username: 'ann', status: 'gone' },
      { username: 'ann', tags: ['c'] },
      { username: 42 },
    ]) {
      assert.deepEqual(checkAnswer('elicitation/create', form, { result: { action: 'accept', content } }), { error: ANSWER_ERRORS.invalid }, JSON.stringify(content));
    }
  });

  test('a declined elicitation passes on nothing but its action; a malformed one is refused', () => {
    assert.deepEqual(checkAnswer('elicitation/create', form, { result: { action: 'decline', content: { username: 'x' } } }), { result: { action: 'decline' } });
    assert.deepEqual(checkAnswer('elicitation/create', form, { result: { action: 'maybe' } }), { error: ANSWER_ERRORS.invalid });
  });

  test('a client error keeps none of its text', () => {
    const checked = checkAnswer('sampling/createMessage', {}, { error: { code: 1, message: '<script>alert(1)</script>' } });
    assert.deepEqual(checked, { error: ANSWER_ERRORS.refused });
  });

  test('sampling and roots answers are checked with the SDK schemas, and bounded', () => {
    const sampled = { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' };
    assert.ok('result' in checkAnswer('sampling/createMessage', { messages: [], maxTokens: 1 }, { result: sampled }));
    assert.deepEqual(checkAnswer('sampling/createMessage', {}, { result: { role: 'assistant' } }), { error: ANSWER_ERRORS.invalid });
    const huge = { ...sampled, content: { type: 'text', text: 'x'.repeat(70_000) } };
    assert.deepEqual(checkAnswer('sampling/createMessage', {}, { result: huge }), { error: ANSWER_ERRORS.invalid });
    assert.ok('result' in checkAnswer('roots/list', undefined, { result: { roots: [{ uri: 'file:///home/ann/project' }] } }));
    assert.deepEqual(checkAnswer('roots/list', undefined, { result: { roots: [{ uri: 'https://example.com/' }] } }), { error: ANSWER_ERRORS.invalid });
  });

  test('a requested schema outside what MCP defines gives no content schema', () => {
    assert.equal(requestedContentSchema({ type: 'object', properties: { nested: { type: 'object' } } }), undefined);
    assert.equal(requestedContentSchema({ type: 'array' }), undefined);
  });
});

describe('PendingInputs', () => {
  test('delivers only to the owner of the session, once, and counts back to zero', async () => {
    const registry = new PendingInputs(limits, undefined);
    const settled: CheckedAnswer[] = [];
    assert.equal(await registry.open(request('kit-one', settled)), true);
    assert.equal(registry.size, 1);
    assert.equal(await registry.deliver('session-1', bob, 'kit-one', { result: { action: 'decline' } }), 'refused');
    assert.equal(await registry.deliver('session-2', alice, 'kit-one', { result: { action: 'decline' } }), 'refused');
    assert.equal(await registry.deliver('session-1', { ...alice, clientId: 'client-b' }, 'kit-one', { result: { action: 'decline' } }), 'refused');
    assert.deepEqual(settled, []);
    assert.equal(await registry.deliver('session-1', alice, 'kit-one', { result: { action: 'decline' } }), 'delivered');
    assert.equal(await registry.deliver('session-1', alice, 'kit-one', { result: { action: 'decline' } }), 'refused');
    assert.deepEqual(settled, [{ result: { action: 'decline' } }]);
    assert.equal(registry.size, 0);
    assert.deepEqual(registry.tracked, { sessions: 0, principals: 0 });
  });

  test('bounds pending requests per session and per principal', async () => {
    const registry = new PendingInputs(limits, undefined);
    const settled: CheckedAnswer[] = [];
    assert.equal(await registry.open(request('kit-1', settled)), true);
    assert.equal(await registry.open(request('kit-2', settled)), true);
    assert.equal(await registry.open(request('kit-3', settled)), false, 'third in one session');
    assert.equal(await registry.open(request('kit-4', settled, { sessionId: 'session-2' })), true);
    assert.equal(await registry.open(request('kit-5', settled, { sessionId: 'session-3' })), false, 'fourth of one principal');
    assert.equal(await registry.open(request('kit-6', settled, { sessionId: 'session-4', caller: bob })), true, 'another principal');
    registry.endSession('session-1');
    assert.equal(settled.length, 2);
    assert.ok(settled.every((answer) => 'error' in answer && answer.error === ANSWER_ERRORS.ended));
    registry.cancel('kit-4');
    registry.close();
    assert.equal(settled.length, 3, 'close ends what is left; a cancelled request is not settled');
    assert.equal(registry.size, 0);
    assert.deepEqual(registry.tracked, { sessions: 0, principals: 0 });
    assert.equal(await registry.open(request('kit-7', settled)), false, 'closed');
  });

  test('a request waits no longer than its deadline or the end of its session', async () => {
    const registry = new PendingInputs({ ...limits, deadlineMs: 60_000 }, undefined);
    const settled: CheckedAnswer[] = [];
    const done = new Promise<void>((resolve) => {
      void registry.open(request('kit-late', [], { notAfter: Date.now() + 20, settle: (answer) => (settled.push(answer), resolve()) }));
    });
    await done;
    assert.deepEqual(settled, [{ error: ANSWER_ERRORS.timeout }]);
    assert.equal(registry.size, 0);
  });
});
