/**
 * Structured JSON logs through Powertools Logger, outside Lambda.
 *
 * Powertools Logger does the record assembly (levels, attributes, error formatting, the
 * `jsonReplacerFn` hook). Two things are changed for a server: records are written as one
 * compact line to a stream chosen at start-up (Lambda's logger owns a private console and sends
 * ERROR to stderr), and the formatters drop the Lambda context fields. The scrubbing replacer is
 * installed on every logger, so no record can carry a bearer token whatever it was given. The
 * per-request access record is serialised directly (see {@link accessLine}) through the same replacer.
 */
import { createHmac, hash } from 'node:crypto';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { OTHER, REQUEST_OUTCOME_SET, type ProtocolEra, type RequestOutcome, TOOL_NAME } from './labels.js';
import { scrubbingReplacer, scrubLogString } from './scrub.js';
import { isTraceId, type TraceId, toW3cTraceId } from './trace-context.js';

/** A pseudonymous identifier produced by `hashIdentifier`: 16 lower-case hex digits. */
export type IdentifierHash = string & { readonly __brand: 'IdentifierHash' };

/**
 * What the HTTP layer reports about one request. Every field is a number, a value from a fixed
 * vocabulary, or a branded value only this module produces (trace id, identifier hashes), so the
 * record has no place for a token, an argument value or a raw identifier. `method` and `tool` are
 * checked against their patterns when written.
 */
export interface AccessRecord {
  /** HTTP status of the response. */
  readonly status: number;
  /** MCP method (`tools/call`), or the HTTP method when the request never reached JSON-RPC. */
  readonly method: string;
  /** Tool name, for `tools/call`. */
  readonly tool?: string;
  readonly outcome: RequestOutcome;
  /** Time from the first byte of the request to the last byte of the response. */
  readonly latencyMs: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** `hashIdentifier(ownerKey(principal))`, once authenticated. */
  readonly principalHash?: IdentifierHash;
  /** The OAuth client the token was issued to (the MCP client: a DCR id or a CIMD URL); not secret. */
  readonly clientId?: string;
  /** `hashIdentifier(sessionId)`, for legacy-era requests with a session. */
  readonly sessionHash?: IdentifierHash;
  readonly traceId: TraceId;
  /** Id of the request's span, when the request was recorded (`RequestTrace.spanId`). */
  readonly spanId?: string;
  readonly protocolEra?: ProtocolEra;
  /** `input_required` when the answer asked the client for input (a multi round-trip request). */
  readonly resultType?: 'input_required';
}

/** Written in place of a string field that does not have the expected shape. */
export const INVALID = '<invalid>';

const METHOD = /^[A-Za-z][A-Za-z0-9_/]{0,63}$/;
// Visible ASCII only, bounded: DCR ids, IdP client ids and CIMD URLs all fit.
const CLIENT_ID = /^[\x21-\x7e]{1,512}$/;
const HASH = /^[0-9a-f]{16}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const HASH_DOMAIN = 'enterprise-mcp-kit/identifier/v1\n';

function writeToStdout(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Powertools Logger writing compact JSON lines to a function instead of its own console. */
export class LineLogger extends Logger {
  // Not a #private field: Powertools may print from inside its constructor, before this is set.
  private readonly writeLine: (line: string) => void;

  constructor(writeLine: (line: string) => void, options: ConstructorOptions) {
    super({ ...options, jsonReplacerFn: scrubbingReplacer });
    this.writeLine = writeLine;
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    (this.writeLine ?? writeToStdout)(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new LineLogger(this.writeLine, options ?? {});
  }
}

/** Diagnostic records: level, message, timestamp, service, region, then the record's own fields. */
export class DiagnosticFormatter extends LogFormatter {
  constructor(private readonly region: string) {
    super();
  }

  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        region: this.region,
        ...additional,
      },
    });
  }
}

function count(value: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

/**
 * The fields of one access record, in order: time, status, method, tool, outcome, latencyMs,
 * region, bytesIn, bytesOut, principalHash, clientId, sessionHash, traceId, then for a recorded request the
 * OpenTelemetry ids otelTraceId (the same trace id as 32 hex digits) and spanId, protocolEra, resultType. Only the fields of
 * {@link AccessRecord} are read, so anything else on the object passed in is never written. Absent
 * optional fields are left out of the result (never present as `undefined`).
 */
export function toAccessFields(record: AccessRecord, region: string, now: Date = new Date()): Record<string, unknown> {
  const status = Number.isInteger(record.status) && record.status >= 100 && record.status <= 599 ? record.status : 0;
  const latency = typeof record.latencyMs === 'number' && Number.isFinite(record.latencyMs) && record.latencyMs >= 0 ? record.latencyMs : 0;
  const fields: Record<string, unknown> = {
    time: now.toISOString(),
    status,
    method: typeof record.method === 'string' && METHOD.test(record.method) ? record.method : INVALID,
  };
  if (record.tool !== undefined) fields.tool = typeof record.tool === 'string' && TOOL_NAME.test(record.tool) ? record.tool : INVALID;
  fields.outcome = REQUEST_OUTCOME_SET.has(record.outcome) ? record.outcome : OTHER;
  fields.latencyMs = Math.round(latency * 10) / 10;
  fields.region = region;
  fields.bytesIn = count(record.bytesIn);
  fields.bytesOut = count(record.bytesOut);
  if (record.principalHash !== undefined) fields.principalHash = checkedHash(record.principalHash);
  if (record.clientId !== undefined) fields.clientId = typeof record.clientId === 'string' && CLIENT_ID.test(record.clientId) ? record.clientId : INVALID;
  if (record.sessionHash !== undefined) fields.sessionHash = checkedHash(record.sessionHash);
  const validTraceId = isTraceId(record.traceId);
  fields.traceId = validTraceId ? record.traceId : INVALID;
  if (record.spanId !== undefined) {
    if (validTraceId) fields.otelTraceId = toW3cTraceId(record.traceId);
    fields.spanId = typeof record.spanId === 'string' && SPAN_ID.test(record.spanId) ? record.spanId : INVALID;
  }
  if (record.protocolEra === 'modern' || record.protocolEra === 'legacy') fields.protocolEra = record.protocolEra;
  if (record.resultType === 'input_required') fields.resultType = record.resultType;
  return fields;
}

function checkedHash(value: IdentifierHash): string {
  return typeof value === 'string' && HASH.test(value) ? value : INVALID;
}

/**
 * One access record as a JSON line: the fields of {@link toAccessFields}, empty ones left out,
 * every string value scrubbed exactly as {@link scrubbingReplacer} scrubs it (the keys are the
 * fixed names above, none of them token-shaped). This is the line the Powertools pipeline prints for
 * these fields (the access formatter adds nothing to them), made without it: the record is a fixed
 * set of numbers and short labels, so the per-line work Powertools does (attribute stores, deep
 * merges, environment reads for a Lambda trace id, a replacer call per value) has nothing to add.
 */
export function accessLine(record: AccessRecord, region: string, now: Date = new Date()): string {
  // A fresh object of this call: scrubbed in place.
  const fields = toAccessFields(record, region, now);
  for (const key in fields) {
    const value = fields[key];
    if (typeof value !== 'string') continue;
    if (value === '') delete fields[key];
    else fields[key] = scrubLogString(value);
  }
  return JSON.stringify(fields);
}

/**
 * The fields of one error record: the correlation id (also as the OpenTelemetry trace id), where
 * it happened, and the private cause.
 * An `Error` is logged with name, message, stack and cause chain (formatted by Powertools);
 * anything else thrown is logged as it is, through the same scrubbing.
 */
export function toErrorFields(correlationId: string, cause: unknown, context: { where: string; tool?: string }): Record<string, unknown> {
  const fields: Record<string, unknown> = isTraceId(correlationId)
    ? { traceId: correlationId, otelTraceId: toW3cTraceId(correlationId), where: context.where }
    : { traceId: correlationId, where: context.where };
  if (context.tool !== undefined) fields.tool = TOOL_NAME.test(context.tool) ? context.tool : INVALID;
  if (cause instanceof Error) fields.error = cause;
  else fields.cause = typeof cause === 'string' || (typeof cause === 'object' && cause !== null) ? cause : String(cause);
  return fields;
}

/**
 * Builds `hashIdentifier`. Without a key: SHA-256 over a fixed domain prefix and the value, so
 * the same subject gets the same hash in every task, region and deployment of this kit (operators
 * can follow one user across the fleet) while a plain `sha256(email)` table from elsewhere does
 * not match. With a key: HMAC-SHA-256, for identity providers whose subjects can be guessed (an
 * e-mail address as `sub`); the key must be the same everywhere for hashes to correlate.
 * Either way the result is a pseudonym, not anonymisation. Any non-empty string is hashed, one that
 * looks like a token too: a subject such as `eyJohn.smith.jr` is a real user, and a digest reveals
 * nothing of what it was computed from.
 */
export function identifierHasher(key: string | undefined): (value: string) => IdentifierHash {
  return (value: string): IdentifierHash => {
    if (typeof value !== 'string' || value.length === 0) throw new TypeError('hashIdentifier needs a non-empty string');
    const digest = key === undefined ? hash('sha256', HASH_DOMAIN + value, 'hex') : createHmac('sha256', key).update(value).digest('hex');
    return digest.slice(0, 16) as IdentifierHash;
  };
}
