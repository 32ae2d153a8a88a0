import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PublicError, publicErrorText } from '../errors/index.js';
import { malformedParamsIds } from './params.js';
import { safeSdkResponse } from './sdk-errors.js';

async function errorOf(error: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = new Response(JSON.stringify({ jsonrpc: '2.0', id: 7, error }), { status: 200, headers: { 'content-type': 'application/json' } });
  const body = (await (await safeSdkResponse(response, 'corr-1')).json()) as { error: Record<string, unknown> };
  return body.error;
}

describe('safeSdkResponse', () => {
  test('keeps a message the kit wrote through publicErrorText', async () => {
    const text = publicErrorText(new PublicError('invalid_arguments', ['id is required']), 'corr-1');
    assert.deepEqual(await errorOf({ code: -32602, message: text }), { code: -32602, message: text });
  });

  test('replaces any other message with the fixed text of its code and drops its data', async () => {
    const echoed = await errorOf({ code: -32602, message: 'Prompt <script>evil</script> not found', data: { name: '<script>' } });
    assert.deepEqual(echoed, { code: -32602, message: 'Invalid params.' });
    const forged = await errorOf({ code: -32602, message: 'The arguments are not valid for this tool. Correlation id: corr-1.' });
    assert.equal(forged.message, 'Invalid params.', 'a text shaped like the kit\'s but not written by it is not trusted');
  });

  test('keeps the uri of a resource-not-found error only when it is a printable URL', async () => {
    assert.deepEqual(await errorOf({ code: -32602, message: 'Resource docs://x not found', data: { uri: 'docs://documents/x' } }), {
      code: -32602,
      message: 'Resource not found.',
      data: { uri: 'docs://documents/x' },
    });
    const notUrl = await errorOf({ code: -32602, message: 'Resource not found', data: { uri: 'not a url <b>' } });
    assert.deepEqual(notUrl, { code: -32602, message: 'Invalid params.' });
  });

  test('keeps the frozen requestState refusal and a -32021 answer rebuilt from known capability names only', async () => {
    const refused = { code: -32602, message: 'Invalid or expired requestState', data: { reason: 'invalid_request_state' } };
    assert.deepEqual(await errorOf({ ...refused, data: { reason: 'invalid_request_state', extra: '<script>' } }), refused);
    const missing = await errorOf({
      code: -32021,
      message: "Cannot request input '<b>' (elicitation/create): not declared",
      data: { requiredCapabilities: { elicitation: { form: { evil: '<script>' } }, '<img>': {}, sampling: 'x' } },
    });
    assert.deepEqual(missing, { code: -32021, message: 'Missing required client capability.', data: { requiredCapabilities: { elicitation: { form: {} } } } });
  });

  test('answers invalid params for the internal errors of exactly the batch messages whose params are malformed', async () => {
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 5 } },
      { jsonrpc: '2.0', id: 2, method: 'tools/list' },
      { jsonrpc: '2.0', id: 'p', method: 'prompts/get', params: { name: ['x'] } },
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
    ];
    const ids = malformedParamsIds(batch, 'legacy');
    assert.deepEqual([...(ids ?? [])], [1, 'p']);
    const answers = [
      { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error: <zod dump>' } },
      { jsonrpc: '2.0', id: 2, result: { tools: [] } },
      { jsonrpc: '2.0', id: 'p', error: { code: -32603, message: 'Internal error' } },
      { jsonrpc: '2.0', id: 4, error: { code: -32603, message: 'Internal error' } },
    ];
    for (const type of ['application/json', 'text/event-stream']) {
      const body = type === 'application/json' ? JSON.stringify(answers) : answers.map((answer) => `event: message\ndata: ${JSON.stringify(answer)}\n\n`).join('');
      const text = await (await safeSdkResponse(new Response(body, { headers: { 'content-type': type } }), 'corr-1', ids)).text();
      const messages = (type === 'application/json' ? JSON.parse(text) : text.split('\n').filter((line) => line.startsWith('data: ')).map((line) => JSON.parse(line.slice(6)))) as Array<{ id: unknown; error?: { code: number; message: string } }>;
      assert.deepEqual(messages.map((m) => [m.id, m.error?.code]), [[1, -32602], [2, undefined], ['p', -32602], [4, -32603]], type);
      assert.equal(messages[0]!.error!.message, 'Invalid params.');
      assert.equal(messages[3]!.error!.message, 'Internal error. Correlation id: corr-1.', 'a real internal error keeps its code');
      assert.ok(!text.includes('zod dump'));
    }
  });

  test('leaves out ids two messages share, single requests and the modern era\'s removed methods', () => {
    const shared = [
      { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 5 } },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'whoami', arguments: {} } },
      { jsonrpc: '2.0', method: 'tools/list', params: { cursor: 5 } },
    ];
    assert.equal(malformedParamsIds(shared, 'legacy'), undefined);
    assert.equal(malformedParamsIds({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { cursor: 5 } }, 'legacy'), undefined);
    const subscribe = [{ jsonrpc: '2.0', id: 3, method: 'resources/subscribe', params: { uri: 5 } }];
    assert.deepEqual([...(malformedParamsIds(subscribe, 'legacy') ?? [])], [3]);
    assert.equal(malformedParamsIds(subscribe, 'modern'), undefined);
  });
});
