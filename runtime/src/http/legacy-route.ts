import { JSON_RPC, jsonRpcError } from '../errors/index.js';
import type { SessionCaller } from '../session/index.js';
import type { PendingInputs } from './legacy-input.js';
import { jsonReply, type DirectReply } from './reply.js';

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A JSON-RPC response: an id and a result or an error, and no method. */
function isResponse(message: unknown): message is { id: unknown; result?: unknown; error?: unknown } {
  return isObject(message) && !('method' in message) && 'id' in message && ('result' in message || 'error' in message);
}

/** The same answer for every answer that is not taken, whatever the reason. */
function refused(): DirectReply {
  return jsonReply(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'No request of this session is waiting for that answer.'));
}

/**
 * Routes a POST of JSON-RPC responses (the client's answers to the server's elicitation, sampling or
 * roots requests) of an already checked session to the calls waiting for them. Returns `undefined`
 * when the body holds no response (the caller serves it as a request), `202` when every answer was
 * taken, and one and the same `400` when any was not: an unknown, foreign (another owner, client or
 * session), expired or already answered id, or an id that is not one the server minted. A body that
 * mixes answers with requests or notifications is refused before anything is delivered.
 */
export async function routeAnswers(pending: PendingInputs, sessionId: string, caller: SessionCaller, body: unknown): Promise<DirectReply | undefined> {
  const messages = Array.isArray(body) ? body : [body];
  const answers = messages.filter(isResponse);
  if (answers.length === 0) return undefined;
  if (answers.length !== messages.length) {
    return jsonReply(400, jsonRpcError(null, JSON_RPC.invalidRequest, 'Invalid request: answers to the server are posted on their own.'));
  }
  let taken = true;
  for (const answer of answers) {
    if (typeof answer.id !== 'string' || !/^kit-[A-Za-z0-9_-]{22}$/.test(answer.id)) {
      taken = false;
      continue;
    }
    const { result, error } = answer;
    const outcome = await pending.deliver(sessionId, caller, answer.id, error !== undefined ? { error } : { result });
    if (outcome !== 'delivered') taken = false;
  }
  return taken ? { status: 202, headers: {}, body: '' } : refused();
}
