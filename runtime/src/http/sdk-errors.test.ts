import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PublicError, publicErrorText } from '../errors/index.js';
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
});
