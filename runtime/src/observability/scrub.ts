/**
 * The last line of defence between a log call and the log: values that look like a bearer token
 * are replaced before a record is serialised, whatever field they were put in by mistake.
 *
 * Two shapes are caught:
 * - a JWT (JWS or JWE compact form): a run of base64url characters and dots that contains `eyJ`
 *   (the encoding of `{"`, how every JOSE header starts) followed by at least two dots;
 * - `Bearer <token68>`, case-insensitive, unless what follows `Bearer` is an auth-param such as
 *   `error="invalid_token"` or `resource_metadata="…"` (a WWW-Authenticate challenge is not a secret).
 *
 * Both patterns run in linear time: single character classes with one quantifier each, no nested
 * or overlapping quantifiers, and the JWT check is done on maximal runs found by one global scan.
 */

/** What a token is replaced with. */
export const REDACTED = '[REDACTED]';

/** Longest string value written to a log record; longer ones are cut after scrubbing. */
export const MAX_LOGGED_STRING = 16_384;

// Maximal runs of base64url characters and dots. One global scan: each run is consumed once.
const TOKEN_RUN = /[\w.-]+/g;

// `Bearer` + whitespace + token68. The alternation after the run refuses auth-params
// (`name=value`, `name="value"`) while still catching padded tokens (`abc==`).
const BEARER = /\bbearer\s+[\w\-.~+/]+(?:=+(?![\w"'])|(?![\w\-.~+/=]))/gi;

function redactJwtRun(run: string): string {
  const start = run.indexOf('eyJ');
  if (start < 0) return run;
  const firstDot = run.indexOf('.', start);
  if (firstDot < start + 4) return run;
  const secondDot = run.indexOf('.', firstDot + 1);
  return secondDot > firstDot + 1 ? REDACTED : run;
}

/**
 * Replaces every JWT-shaped run and every `Bearer <token>` in `text` with `[REDACTED]`.
 * Returns `text` itself when there is nothing to replace.
 *
 * @example
 * scrubSecrets('auth: Bearer abc.def') // 'auth: [REDACTED]'
 */
export function scrubSecrets(text: string): string {
  // `Bearer` first, so that `Bearer <jwt>` goes as a whole.
  let out = text.length > 7 ? text.replace(BEARER, REDACTED) : text;
  if (out.includes('eyJ')) out = out.replace(TOKEN_RUN, redactJwtRun);
  return out;
}

/** True when `text` holds something `scrubSecrets` would replace. */
export function looksLikeToken(text: string): boolean {
  return scrubSecrets(text) !== text;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** What {@link scrubbingReplacer} writes for a string value: scrubbed, then cut to {@link MAX_LOGGED_STRING}. */
export function scrubLogString(value: string): string {
  const scrubbed = scrubSecrets(value);
  return scrubbed.length > MAX_LOGGED_STRING ? `${scrubbed.slice(0, MAX_LOGGED_STRING)}…[truncated]` : scrubbed;
}

/**
 * A `JSON.stringify` replacer (Powertools Logger's `jsonReplacerFn`) that scrubs every string
 * value, every key of plain objects, and cuts strings longer than {@link MAX_LOGGED_STRING}.
 * Error objects are left to the Logger, which turns them into plain objects whose strings then
 * pass through here as well.
 */
export function scrubbingReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'string') return scrubLogString(value);
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    if (!looksLikeToken(key)) continue;
    copy ??= { ...value };
    delete copy[key];
    copy[scrubSecrets(key)] = value[key];
  }
  return copy ?? value;
}
