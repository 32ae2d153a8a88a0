/**
 * Sessions, cross-call handles and per-user state in the shared DynamoDB table.
 * Everything outside this folder imports from here.
 */
export { SESSION_TABLE, SESSION_TABLE_ACTIONS } from './table-schema.js';
export { isSessionId, SessionIdKey } from './ids.js';
export type {
  ClientInfo,
  InputCapabilities,
  CreatedSession,
  NewSession,
  ResolvedHandle,
  SessionOwner,
  SessionCaller,
  SessionRecord,
  SessionStore,
  StateDocument,
  StateKey,
} from './store.js';
export { DynamoSessionStore, SESSION_STORE_DEFAULTS, type DynamoSessionStoreOptions } from './dynamo-store.js';
export { CLIENT_DEFAULTS, createSessionStoreClient, type SessionStoreClientOptions } from './client.js';
export { createSessionTable, type CreateSessionTableOptions } from './create-table.js';
export {
  SessionEndedError,
  SessionStoreUnavailableError,
  StateConflictError,
  StateTooLargeError,
  type StoreFailureReason,
} from './errors.js';
export { DYNAMODB_MAX_ITEM_BYTES, MAX_STORED_ITEM_BYTES } from './item-size.js';
export { PendingInputItems, type PendingInputState } from './pending-inputs.js';
export { boundInputCapabilities } from './session-records.js';
export { handleAccess, userStateAccess, type OwnerHandleAccess } from './user-state.js';
