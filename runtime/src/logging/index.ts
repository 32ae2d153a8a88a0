/**
 * Log notifications to the client (`notifications/message`): the levels, the per-call log a tool
 * handler gets, and its bounds. The threshold comes from the session (2025 era, `logging/setLevel`)
 * or from the request's `_meta` (2026-07-28).
 */
export { isLogLevel, LOG_LEVELS, passesThreshold, type LogLevel } from './levels.js';
export { clientLogFor, MAX_LOG_MESSAGE_CHARS, MAX_LOG_MESSAGES_PER_CALL, type ClientLog, type LogNotification, type LogSink } from './client-log.js';
