import type { InputRequiredResult } from '@modelcontextprotocol/server';
import { PublicError } from '../errors/index.js';
import { CONFIRM_KEY } from './confirm.js';
import { INPUT_METHODS, type InputKind, type InputRound } from './round.js';

/** Most input requests one `input_required` result may carry. */
export const MAX_INPUT_REQUESTS = 8;
const REQUEST_KEY = /^[A-Za-z0-9_.-]{1,64}$/;

/** A text the platform filters before it leaves, and where to put the filtered text back. */
export interface OutgoingText {
  readonly text: string;
  put(text: string): void;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function textBlocks(content: unknown, out: OutgoingText[]): void {
  for (const block of Array.isArray(content) ? content : [content]) {
    if (isObject(block) && block.type === 'text' && typeof block.text === 'string') out.push({ text: block.text, put: (text) => (block.text = text) });
  }
}

/**
 * Checks an `input_required` result a handler returned, and collects the texts in it that go to
 * the client (elicitation messages, sampling messages and system prompts) for the output filter.
 * The result is copied first, so the filter never writes into the handler's own objects.
 *
 * Refused (a server bug, answered as the tool failing): input requests of a kind the handler did
 * not declare, more than {@link MAX_INPUT_REQUESTS}, keys that are not short identifiers or are the
 * platform's own, and a `requestState` this round did not seal (a handler cannot hand out
 * unprotected state).
 *
 * @throws PublicError `internal`, with the reason as its private cause
 */
export function checkInputRequired(result: InputRequiredResult, declared: readonly InputKind[], round: InputRound): { result: InputRequiredResult; texts: OutgoingText[] } {
  const copy = structuredClone(result) as InputRequiredResult;
  const fail = (reason: string): never => {
    throw new PublicError('internal', [], { cause: new Error(`input_required result refused: ${reason}`) });
  };
  if (copy.requestState !== undefined && !round.issued(copy.requestState)) fail('its requestState was not sealed by ctx.input.seal');
  const requests = copy.inputRequests ?? {};
  if (!isObject(requests)) return fail('inputRequests is not an object');
  const keys = Object.keys(requests);
  if (keys.length > MAX_INPUT_REQUESTS) fail(`more than ${MAX_INPUT_REQUESTS} input requests`);
  const texts: OutgoingText[] = [];
  for (const key of keys) {
    if (!REQUEST_KEY.test(key) || key === CONFIRM_KEY) fail('an input request key is not a short identifier or is reserved');
    const request = requests[key] as unknown;
    const kind = isObject(request) && typeof request.method === 'string' ? INPUT_METHODS[request.method] : undefined;
    if (!kind || !declared.includes(kind)) fail(`an input request of a kind the handler does not declare in asks`);
    const params = isObject(request) && isObject(request.params) ? request.params : {};
    if (typeof params.message === 'string') texts.push({ text: params.message, put: (text) => (params.message = text) });
    if (typeof params.systemPrompt === 'string') texts.push({ text: params.systemPrompt, put: (text) => (params.systemPrompt = text) });
    if (Array.isArray(params.messages)) for (const message of params.messages) if (isObject(message)) textBlocks(message.content, texts);
  }
  return { result: copy, texts };
}
