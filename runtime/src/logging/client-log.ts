import { redactText, type RedactionProfile } from '../filters/index.js';
import { isLogLevel, passesThreshold, type LogLevel } from './levels.js';

/** Most log notifications one call may send; later ones are dropped. */
export const MAX_LOG_MESSAGES_PER_CALL = 20;
/** Longest log message sent, in characters; longer ones are cut before redaction. */
export const MAX_LOG_MESSAGE_CHARS = 1_000;

/** The `notifications/message` parameters the kit sends: a level, the tool as logger, and redacted text. */
export interface LogNotification {
  readonly level: LogLevel;
  readonly logger: string;
  readonly data: string;
}

/** Where a call's log messages go, and from which level on the client wants them. */
export interface LogSink {
  /** The least severe level the client asked for; nothing is sent below it. */
  readonly threshold: LogLevel;
  /** Sends one notification on the call's own response stream. */
  readonly send: (notification: LogNotification) => Promise<void>;
}

/** What a tool handler calls to log to the client. Never throws. */
export type ClientLog = (level: LogLevel, message: string) => Promise<void>;

/**
 * The `log` a handler gets for one call: a message below the client's threshold, or past the
 * per-call count, is dropped; a sent one is cut to {@link MAX_LOG_MESSAGE_CHARS} and passed through
 * the same redaction as the call's result (`profile`). Without a sink (the client asked for no
 * logs: no `logging/setLevel` in the session, no `logLevel` in the request) it does nothing. A
 * failure to send never fails the call.
 *
 * @param logger - the name sent as the notification's `logger` (the tool's name)
 */
export function clientLogFor(sink: LogSink | undefined, logger: string, profile: RedactionProfile): ClientLog {
  let sent = 0;
  return async (level, message) => {
    if (!sink || !isLogLevel(level) || !passesThreshold(level, sink.threshold) || sent >= MAX_LOG_MESSAGES_PER_CALL) return;
    sent += 1;
    const { text } = redactText(String(message).slice(0, MAX_LOG_MESSAGE_CHARS), profile);
    await sink.send({ level, logger, data: text }).catch(() => undefined);
  };
}
