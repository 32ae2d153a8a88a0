import type { OutputFilterProfile, ToolResult } from '../tools/definition.js';
import { ALL_DETECTORS, SECRET_DETECTORS, redactionMarker, type RedactionKind } from './detectors.js';
import { findValues, mergeFindings } from './find.js';
import { FilterLimitError, MAX_FILTER_DEPTH, assertFilterableLength } from './limits.js';

/** How many values of each kind were redacted. Kinds that did not occur are absent. */
export type RedactionCounts = Partial<Record<RedactionKind, number>>;

/** What {@link redactText} returns. */
export interface RedactedText {
  /** The text with every recognised value replaced by `[REDACTED:<kind>]`. */
  readonly text: string;
  readonly redactions: RedactionCounts;
}

/** What {@link redactToolResult} returns. */
export interface RedactedToolResult {
  /** A copy of the result with every string redacted, object keys included. */
  readonly result: ToolResult;
  readonly redactions: RedactionCounts;
}

/** The part of a tool's output-filter profile the redaction reads. */
export type RedactionProfile = Pick<OutputFilterProfile, 'redactPersonalData'>;

/**
 * Replaces secrets (always) and personal data (when `profile.redactPersonalData`) in `text` with
 * `[REDACTED:<kind>]` markers, and counts what it replaced.
 *
 * Secrets: AWS access key ids and secret access keys in assignments, JWTs, PEM private keys, GitHub,
 * GitLab, Slack and Stripe tokens, Slack webhook URLs, `Authorization` header values, bearer tokens,
 * password and API-key assignments, passwords in connection strings. Personal data: email
 * addresses, phone numbers, payment card numbers (issuer shape and Luhn), IBANs (country length and
 * mod 97), US social security numbers (issued ranges only).
 *
 * Runs in time linear in the length of `text`.
 *
 * @throws FilterLimitError when `text` is longer than `MAX_FILTER_TEXT_LENGTH` (1 MiB): such text is
 *   refused, never passed on unfiltered.
 *
 * @example
 * redactText('key=AKIA…, mail bob@example.com', { redactPersonalData: true })
 * // → { text: 'key=[REDACTED:aws-access-key], mail [REDACTED:email]', redactions: { 'aws-access-key': 1, email: 1 } }
 */
export function redactText(text: string, profile: RedactionProfile): RedactedText {
  const redactions: RedactionCounts = {};
  return { text: redactInto(text, profile, redactions), redactions };
}

/**
 * Redacts every string of a tool result, as {@link redactText} does: the text blocks and every
 * string inside `structuredContent`, keys and values (nested objects and arrays included; a key
 * redacted to the same marker as another gets a number: `[REDACTED:email] 2`).
 * Values that JSON serialisation would turn into strings through `toJSON` (dates, for example) are
 * converted first, so nothing reaches the client without passing the filter. The input is not
 * modified.
 *
 * @throws FilterLimitError when a string is longer than `MAX_FILTER_TEXT_LENGTH` or
 *   `structuredContent` is nested deeper than `MAX_FILTER_DEPTH`.
 */
export function redactToolResult(result: ToolResult, profile: RedactionProfile): RedactedToolResult {
  const redactions: RedactionCounts = {};
  // Every string field of a block is filtered, not only `text`, in case a handler returns more than the type says.
  const content = result.content.map((block) => redactBlock(block, profile, redactions) as ToolResult['content'][number]);
  const redacted: ToolResult =
    result.structuredContent === undefined
      ? { ...result, content }
      : {
          ...result,
          content,
          structuredContent: redactValue(result.structuredContent, profile, redactions, 1) as Record<string, unknown>,
        };
  return { result: redacted, redactions };
}

/**
 * Redacts every string of one content block except its base64 payload (`data` of an image or audio
 * block, `blob` of an embedded resource): bytes are passed on as they are, since rewriting base64
 * would corrupt them. Text, URIs, names, MIME types and descriptions are all filtered.
 */
function redactBlock(block: unknown, profile: RedactionProfile, counts: RedactionCounts): unknown {
  if (block === null || typeof block !== 'object' || Array.isArray(block)) return redactValue(block, profile, counts, 1);
  const { type, data, resource } = block as { type?: unknown; data?: unknown; resource?: unknown };
  if ((type === 'image' || type === 'audio') && typeof data === 'string') {
    return { ...(redactValue({ ...block, data: undefined }, profile, counts, 1) as object), data };
  }
  if (type === 'resource' && resource !== null && typeof resource === 'object' && typeof (resource as { blob?: unknown }).blob === 'string') {
    const { blob } = resource as { blob: string };
    const rest = redactValue({ ...resource, blob: undefined }, profile, counts, 2) as object;
    return { ...(redactValue({ ...block, resource: undefined }, profile, counts, 1) as object), resource: { ...rest, blob } };
  }
  return redactValue(block, profile, counts, 1);
}

function redactInto(text: string, profile: RedactionProfile, counts: RedactionCounts): string {
  assertFilterableLength(text);
  const findings = findValues(text, profile.redactPersonalData ? ALL_DETECTORS : SECRET_DETECTORS);
  if (findings.length === 0) return text;
  for (const { kind } of findings) counts[kind] = (counts[kind] ?? 0) + 1;
  const parts: string[] = [];
  let last = 0;
  for (const { start, end, kind } of mergeFindings(findings)) {
    parts.push(text.slice(last, start), redactionMarker(kind));
    last = end;
  }
  parts.push(text.slice(last));
  return parts.join('');
}

interface JsonConvertible {
  toJSON(): unknown;
}

function hasToJson(value: object): value is JsonConvertible {
  return typeof (value as Partial<JsonConvertible>).toJSON === 'function';
}

function redactValue(value: unknown, profile: RedactionProfile, counts: RedactionCounts, depth: number): unknown {
  if (typeof value === 'string') return redactInto(value, profile, counts);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_FILTER_DEPTH) throw new FilterLimitError('too-deep');
  if (hasToJson(value)) return redactValue(value.toJSON(), profile, counts, depth + 1);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, profile, counts, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // Keys are text the client reads too. Two keys redacted alike stay apart ("[REDACTED:email] 2").
    const redactedKey = redactInto(key, profile, counts);
    let name = redactedKey;
    if (redactedKey !== key) for (let n = 2; Object.hasOwn(out, name); n++) name = `${redactedKey} ${n}`;
    // defineProperty: a key named `__proto__` stays a key, never the prototype of the copy.
    Object.defineProperty(out, name, { value: redactValue(item, profile, counts, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
