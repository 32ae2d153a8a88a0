/**
 * The fixed vocabularies that metric dimensions, trace annotations and access records may use.
 *
 * Every dimension value that reaches CloudWatch comes from one of these lists or from a bounded
 * label set, so the number of metric streams cannot grow with traffic. A value outside its list
 * is recorded as `other` instead of being dropped, so a caller bug shows up on the dashboards.
 *
 * Some lists mirror types that live in the modules reporting them (`auth/verifier.ts`,
 * `tools/invoke.ts`, `http/telemetry.ts`): this module stays a leaf that imports nothing from the
 * request path, and TypeScript flags any drift at the call site where a wider union is passed in.
 */

/** What became of one HTTP request, as seen by the client. */
export const REQUEST_OUTCOMES = [
  'ok',
  'client_error',
  'denied',
  'unauthenticated',
  'rate_limited',
  'timeout',
  'error',
  'unavailable',
] as const;
export type RequestOutcome = (typeof REQUEST_OUTCOMES)[number];

/** What became of one tool call (mirrors `ToolCallOutcome` in `tools/invoke.ts`). */
export const TOOL_OUTCOMES = ['ok', 'invalid', 'credential_input', 'timeout', 'cancelled', 'busy', 'blocked', 'error', 'input_required', 'declined'] as const;
export type ToolOutcome = (typeof TOOL_OUTCOMES)[number];

/**
 * Where a server-side failure happened, for the `Errors` metric: the same names as the request's
 * trace spans, plus `http` for failures of the HTTP layer itself.
 */
export const ERROR_KINDS = ['authenticate', 'session', 'policy', 'tool', 'filter', 'http'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Why a token was refused (mirrors `AuthFailureReason` in `auth/verifier.ts`). */
export const AUTH_FAILURE_REASONS = [
  'missing',
  'malformed',
  'oversized',
  'forbidden_header',
  'signature',
  'expired',
  'not_yet_valid',
  'claims',
  'audience',
  'token_type',
  'client',
  'keys_unavailable',
] as const;
export type AuthFailureReason = (typeof AUTH_FAILURE_REASONS)[number];

/** Which limit refused a request: the principal's request rate, its calls in flight for one tool, or the server's requests in flight. */
export const RATE_LIMIT_SCOPES = ['principal', 'tool', 'server'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

/** MCP protocol era of a request: `modern` (2026-07-28, stateless) or `legacy` (≤ 2025-11-25). */
export type ProtocolEra = 'modern' | 'legacy';

/** Lifecycle events of a legacy-era session. */
export type SessionEvent = 'opened' | 'ended';

/** The value recorded in place of anything outside its vocabulary. */
export const OTHER = 'other';

/** Tool names as `defineTool` allows them. */
export const TOOL_NAME = /^[a-z][a-z0-9_]{1,63}$/;

/** Short lower-case labels such as redaction kinds. */
const KIND_LABEL = /^[a-z][a-z0-9_]{0,31}$/;

/** Returns `value` when it is one of `allowed`, else `other`. */
export function oneOf<T extends string>(allowed: ReadonlySet<string>, value: T): T | typeof OTHER {
  return allowed.has(value) ? value : OTHER;
}

/**
 * A set of labels that admits at most `limit` distinct values matching `pattern`; anything else
 * is reported as `other`. Used for dimensions whose vocabulary belongs to another module (tool
 * names from the catalog, redaction kinds from the filters), so that a bug or a hostile client
 * cannot create unbounded metric streams.
 */
export class BoundedLabels {
  readonly #seen = new Set<string>();

  constructor(
    private readonly pattern: RegExp,
    private readonly limit: number,
  ) {}

  /** The label to record for `value`. */
  admit(value: string): string {
    if (this.#seen.has(value)) return value;
    if (this.#seen.size >= this.limit || typeof value !== 'string' || !this.pattern.test(value)) return OTHER;
    this.#seen.add(value);
    return value;
  }
}

/** Bounded label set for tool names: the catalog is small, 100 leaves ample room. */
export function toolLabels(): BoundedLabels {
  return new BoundedLabels(TOOL_NAME, 100);
}

/** Bounded label set for redaction kinds. */
export function kindLabels(): BoundedLabels {
  return new BoundedLabels(KIND_LABEL, 32);
}

export const REQUEST_OUTCOME_SET: ReadonlySet<string> = new Set(REQUEST_OUTCOMES);
export const TOOL_OUTCOME_SET: ReadonlySet<string> = new Set(TOOL_OUTCOMES);
export const ERROR_KIND_SET: ReadonlySet<string> = new Set(ERROR_KINDS);
export const AUTH_FAILURE_REASON_SET: ReadonlySet<string> = new Set(AUTH_FAILURE_REASONS);
export const RATE_LIMIT_SCOPE_SET: ReadonlySet<string> = new Set(RATE_LIMIT_SCOPES);
