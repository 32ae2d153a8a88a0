import { SECRET_DETECTORS, SECRET_KINDS, type Detector, type SecretKind } from './detectors.js';
import { findValues } from './find.js';
import { FilterLimitError, MAX_FILTER_DEPTH, assertFilterableLength } from './limits.js';

/**
 * Secret kinds that make a tool-call argument refused. Password assignments are left out on
 * purpose: in free text ("password: at least 12 characters") they are too often prose, and output
 * redaction still catches them on the way out.
 */
export const CREDENTIAL_VALUE_KINDS: readonly SecretKind[] = SECRET_KINDS.filter((kind) => kind !== 'password');

const CREDENTIAL_DETECTORS: readonly Detector<SecretKind>[] = SECRET_DETECTORS.filter((d) =>
  (CREDENTIAL_VALUE_KINDS as readonly string[]).includes(d.kind),
);

/**
 * Looks through a tool-call argument value (strings, nested objects and arrays, object keys
 * included) for something that looks like a credential: a JWT, an AWS key, a PEM private key, a
 * known token prefix (GitHub, GitLab, Slack, Stripe), a bearer token or a password in a connection
 * string. Returns the kind of the first one found, never the value, or `undefined`.
 *
 * @throws FilterLimitError when a string is longer than `MAX_FILTER_TEXT_LENGTH` or the value is
 *   nested deeper than `MAX_FILTER_DEPTH`: such arguments are refused rather than passed unchecked.
 *
 * @example
 * findCredentialValue({ note: 'token eyJhbGciOi…' }) // → 'jwt'
 * findCredentialValue({ note: 'buy milk' })          // → undefined
 */
export function findCredentialValue(value: unknown): SecretKind | undefined {
  return findIn(value, 1);
}

function findIn(value: unknown, depth: number): SecretKind | undefined {
  if (typeof value === 'string') return findInText(value);
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > MAX_FILTER_DEPTH) throw new FilterLimitError('too-deep');
  if (Array.isArray(value)) {
    for (const item of value) {
      const kind = findIn(item, depth + 1);
      if (kind) return kind;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const kind = findInText(key) ?? findIn(item, depth + 1);
    if (kind) return kind;
  }
  return undefined;
}

function findInText(text: string): SecretKind | undefined {
  assertFilterableLength(text);
  return findValues(text, CREDENTIAL_DETECTORS, { firstOnly: true })[0]?.kind as SecretKind | undefined;
}
