/**
 * Asking the client for input in the 2026-07-28 era (multi round-trip requests): the sealed
 * `requestState` (AEAD, bound to the caller and the request, expiring, single-use), the ledger that
 * makes it single-use and bounds pending rounds across the fleet, the checks on what a handler asks
 * for, and the platform's confirmation of tools declared `confirm: true`.
 */
export {
  argumentsDigest,
  createRequestStateCodec,
  decodeRequestStateKey,
  generateRequestStateKey,
  MAX_REQUEST_STATE_CHARS,
  MAX_STATE_PAYLOAD_BYTES,
  RequestStateKeyError,
  type RequestStateCodec,
  type StateClaims,
} from './codec.js';
export { CONFIRM_KEY, confirmationAnswer, confirmationRequest, declinedResult } from './confirm.js';
export { dynamoLedger, memoryLedger, type LedgerOptions, type RequestStateLedger } from './ledger.js';
export { checkInputRequired, MAX_INPUT_REQUESTS, type OutgoingText } from './outgoing.js';
export { createInputRounds, INPUT_METHODS, invalidRequestState, type InputKind, type InputRound, type InputRounds, type RoundMethod } from './round.js';
