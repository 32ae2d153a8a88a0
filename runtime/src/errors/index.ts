/**
 * The only place that decides what a client learns about a failure. Every failure becomes a
 * `PublicError` with a fixed message per kind; its private cause goes to the log under the request's
 * correlation id. No message, stack, path, ARN, account id, host name or class name of a cause ever
 * reaches the client.
 */

export { MAX_DESCRIBED_ISSUES, ruleFor, validateArguments } from './validation.js';

/** The kinds of failure a client may be told about. */
export type PublicErrorKind =
  | 'invalid_arguments'
  | 'credential_input'
  | 'timeout'
  | 'cancelled'
  | 'busy'
  | 'too_many_pending'
  | 'state_conflict'
  | 'state_too_large'
  | 'output_blocked'
  | 'unavailable'
  | 'internal';

const PUBLIC_MESSAGES: Record<PublicErrorKind, string> = {
  invalid_arguments: 'The arguments are not valid for this tool.',
  credential_input: 'The arguments look like they contain a credential. Tools never take credentials as input.',
  timeout: 'The tool did not finish within its deadline.',
  cancelled: 'The call was cancelled.',
  busy: 'Too many calls of this tool are in progress. Retry later.',
  too_many_pending: 'Too many requests are waiting for input. Answer or abandon one, then retry later.',
  state_conflict: 'The stored state was changed by another request. Retry the call.',
  state_too_large: 'The state to store is larger than allowed.',
  output_blocked: 'The result was withheld by the output moderation policy.',
  unavailable: 'A dependency is temporarily unavailable. Retry later.',
  internal: 'The tool failed.',
};

/** A failure with a fixed public message and, optionally, safe details (field names and rules only). */
export class PublicError extends Error {
  override readonly name = 'PublicError';
  constructor(
    readonly kind: PublicErrorKind,
    /** Safe detail lines, built only from schema paths and rule names, never from input values. */
    readonly details: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(PUBLIC_MESSAGES[kind], options);
  }
}

/** Maps any thrown value to a `PublicError`, keeping the original as `cause`. */
export function toPublicError(error: unknown): PublicError {
  if (error instanceof PublicError) return error;
  return new PublicError('internal', [], { cause: error });
}

/** The text a client sees for a failure: the fixed message, safe details, and the correlation id. */
export function publicErrorText(error: PublicError, correlationId: string): string {
  const details = error.details.length > 0 ? ` ${error.details.join('; ')}.` : '';
  const text = `${error.message}${details} Correlation id: ${correlationId}.`;
  rememberPublicText(text);
  return text;
}

/** How many recently written public texts are remembered; an older one is answered with the fixed text of its code. */
const REMEMBERED_PUBLIC_TEXTS = 4_096;
const publicTexts = new Set<string>();

function rememberPublicText(text: string): void {
  publicTexts.delete(text);
  publicTexts.add(text);
  if (publicTexts.size > REMEMBERED_PUBLIC_TEXTS) publicTexts.delete(publicTexts.values().next().value!);
}

/**
 * Whether `text` was written by `publicErrorText` lately. Errors that reach a client through the SDK
 * are rewritten to a fixed text per code unless this says the kit wrote them: such a text holds the
 * fixed message, schema paths, rule names and the correlation id only, never what the client sent.
 * The memory is bounded (a set of the newest texts), so forgetting one only makes an answer plainer.
 */
export function isPublicErrorText(text: string): boolean {
  return publicTexts.has(text);
}

/** JSON-RPC error object for transport-level failures (no `data`, nothing of the cause). */
export function jsonRpcError(id: string | number | null, code: number, message: string): Record<string, unknown> {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/**
 * The `-32022` UnsupportedProtocolVersion error: `data` lists the versions this server speaks and
 * echoes the requested one. The echo is bounded to 64 visible ASCII characters; anything else is
 * replaced, so no attacker-chosen bytes come back.
 */
export function unsupportedVersionError(id: string | number | null, requested: string, supported: readonly string[]): Record<string, unknown> {
  const echo = requested.slice(0, 64).replace(/[^\x21-\x7E]/g, '?');
  return { jsonrpc: '2.0', id, error: { code: JSON_RPC.unsupportedProtocolVersion, message: 'Unsupported protocol version.', data: { supported: [...supported], requested: echo } } };
}

/** JSON-RPC error codes used by the HTTP layer. */
export const JSON_RPC = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Server-defined: the request was refused before dispatch (auth, limits). */
  refused: -32000,
  /** Server-defined: session not found (legacy era). */
  sessionNotFound: -32001,
  /** MCP: a header that mirrors the body (`Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`) disagrees with it (2026-07-28). */
  headerMismatch: -32020,
  /** MCP: the request needs a client capability the client did not declare (2026-07-28). */
  missingClientCapability: -32021,
  /** MCP: the requested protocol version is not spoken here. */
  unsupportedProtocolVersion: -32022,
} as const;
