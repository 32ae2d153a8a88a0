/**
 * The MCP log levels (RFC 5424 severities), least severe first, and the threshold rule both protocol
 * eras use: a message is sent when its level is at least the threshold the client asked for.
 */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;

/** One MCP log level. */
export type LogLevel = (typeof LOG_LEVELS)[number];

const SEVERITY: ReadonlyMap<string, number> = new Map(LOG_LEVELS.map((level, index) => [level, index]));

/** Whether `value` is one of the eight MCP log levels (exact, case-sensitive). */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && SEVERITY.has(value);
}

/** Whether a message at `level` passes `threshold`: sent when at least as severe. */
export function passesThreshold(level: LogLevel, threshold: LogLevel): boolean {
  return SEVERITY.get(level)! >= SEVERITY.get(threshold)!;
}
