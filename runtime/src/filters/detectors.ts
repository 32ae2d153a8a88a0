/**
 * The detectors behind the output filters and the credential-value check.
 *
 * Linear time on adversarial input. JavaScript regular expressions backtrack, so every pattern here
 * follows the same rules, checked by `pattern-safety.test.ts` and measured by `bench/filters.ts`:
 *
 * - every quantifier is bounded (`{m,n}`), so one match attempt does a bounded amount of work;
 * - a pattern that starts with a character class starts with a one-character look-behind, so an
 *   attempt begins only at the start of a run of those characters, not at every character in it;
 * - two quantified atoms that follow each other either match disjoint characters or are separated
 *   by a mandatory literal, so a string splits between them in one way only;
 * - alternatives of one alternation begin differently or are bounded.
 *
 * The one exception in shape is the body of a PEM private key: `[\s\S]{0,MAX}?` up to the END line
 * or the end of the text. It always succeeds and consumes what it scanned, so every character is
 * visited once; an unterminated key block is redacted to the end of the text.
 *
 * All patterns are compiled once, here, at module load.
 */
import { hasCardIssuerShape, isValidIban, isValidSsn, passesLuhn } from './checksums.js';
import { MAX_FILTER_TEXT_LENGTH } from './limits.js';

/** Kinds of secrets the filters recognise. Secret redaction is always on. */
export const SECRET_KINDS = [
  'pem-private-key',
  'jwt',
  'connection-string',
  'slack-webhook',
  'github-token',
  'gitlab-token',
  'slack-token',
  'stripe-key',
  'aws-access-key',
  'aws-secret-key',
  'authorization-header',
  'bearer-token',
  'secret-assignment',
  'password',
] as const;

/** Kinds of personal data the filters recognise, redacted when a tool's profile asks for it. */
export const PERSONAL_DATA_KINDS = ['email', 'iban', 'payment-card', 'us-ssn', 'phone'] as const;

export type SecretKind = (typeof SECRET_KINDS)[number];
export type PersonalDataKind = (typeof PERSONAL_DATA_KINDS)[number];
/** Every kind of value a filter can redact; the `kind` in `[REDACTED:kind]`. */
export type RedactionKind = SecretKind | PersonalDataKind;

/** One recogniser: a global pattern plus an optional check on what it found. */
export interface Detector<Kind extends RedactionKind = RedactionKind> {
  readonly kind: Kind;
  /**
   * Global pattern. When it has the named groups `pre` (at the very start of the match) and `value`
   * (right after it), only `value` is replaced; otherwise the whole match is.
   */
  readonly pattern: RegExp;
  /**
   * Decides on a candidate value: returns how many of its leading characters to redact, 0 to
   * leave it alone. Without it every candidate is redacted whole.
   */
  readonly accept?: (value: string) => number;
  /** When the value is quoted, keep the quotes around the marker (keeps JSON and code well formed). */
  readonly keepQuotes?: boolean;
}

/** The marker that replaces a value of this kind. */
export function redactionMarker(kind: RedactionKind): string {
  return MARKERS[kind];
}

const MARKERS = Object.fromEntries(
  [...SECRET_KINDS, ...PERSONAL_DATA_KINDS].map((kind) => [kind, `[REDACTED:${kind}]`]),
) as Record<RedactionKind, string>;

// ---------------------------------------------------------------------------------------------
// Values of assignments (`password=…`, `"apiKey": "…"`): what counts as a literal value.

/** Value of an assignment: double-quoted, single-quoted (closing quote optional), or bare. */
const ASSIGNED_VALUE = String.raw`(?<value>"(?:[^"\\\r\n]|\\.){0,1024}"?|'(?:[^'\\\r\n]|\\.){0,1024}'?|[^\s"'\x60]{1,1024})`;
/** Key/value separator: optional closing quote and bracket of the key, `:`, `=` or `=>`, spaces or tabs. */
const ASSIGN = String.raw`["']?\]?[ \t]{0,8}[:=]>?[ \t]{0,8}`;

/** Words that name a type, a state or a placeholder rather than a secret. */
const NON_SECRET_WORDS = new Set([
  'string', 'str', 'number', 'boolean', 'bool', 'int', 'any', 'unknown', 'text', 'bytes', 'secretstr',
  'null', 'nil', 'none', 'undefined', 'true', 'false', 'required', 'optional', 'hidden', 'masked',
  'redacted', 'empty', 'n/a', 'tbd', 'todo',
]);
const ONLY_MASK_CHARACTERS = /^[*xX•●#.\-_]{1,1024}$/;
/**
 * `${VAR}`, `{{ value }}`, `<your-password>`, `%s`, `%(name)s`, `$(cmd)`, `$UPPER_CASE`, SQL binds
 * (`?`, `:name`), and markers of an earlier redaction.
 */
const PLACEHOLDER = /^(?:\$\{|\{\{|\$\(|<[^<>\r\n]{0,200}>$|%s$|%\(|\$[A-Z_][A-Z0-9_]{0,100}$|\?$|:[a-z_][a-z0-9_]{0,63}$|\[REDACTED)/;
/**
 * Bare code that reads a value rather than spelling it: a complete call on a lower-case name
 * (`getPassword()`, `z.string().min(12);`), a call or index on a member (`config.get(`,
 * `request.form[`), an environment lookup, a comparison (`password == other`), or a file path
 * (`pwd: /home/app`). Anything else, including `Summer(2024)`, counts as a literal.
 */
const CODE_EXPRESSION =
  /^(?:[a-z_$][\w$]{0,100}(?:\.[A-Za-z_$][\w$]{0,100}){0,10}\(\S{0,200}\)[;,]?$|[a-z_$][\w$]{0,100}(?:\.[A-Za-z_$][\w$]{0,100}){1,10}[([]|process\.env\.|os\.environ|os\.getenv|=|(?:~|\.{1,2})?\/[\w.-]{1,100}(?:\/[\w.-]{0,100}){0,30}$)/;

function unquote(value: string): { inner: string; quoted: boolean } {
  const q = value[0];
  if (q === '"' || q === "'") {
    const end = value.length > 1 && value[value.length - 1] === q ? value.length - 1 : value.length;
    return { inner: value.slice(1, end), quoted: true };
  }
  return { inner: value, quoted: false };
}

/** Punctuation that ends a statement or a literal in code: `password: string;`, `{ pwd: null }`. */
const TRAILING_PUNCTUATION = /[;,)}\]]{1,8}$/;

function acceptAssignedValue(minLength: number): (value: string) => number {
  return (value) => {
    const { inner, quoted } = unquote(value);
    if (inner.length < minLength) return 0;
    if (NON_SECRET_WORDS.has(inner.replace(TRAILING_PUNCTUATION, '').toLowerCase())) return 0;
    if (ONLY_MASK_CHARACTERS.test(inner) || PLACEHOLDER.test(inner)) return 0;
    if (!quoted && CODE_EXPRESSION.test(inner)) return 0;
    return value.length;
  };
}

const CONNECTION_PLACEHOLDER = /^(?:\$\{|\{\{|<[^<>]{0,200}>$|\[REDACTED)/;

function acceptConnectionPassword(value: string): number {
  if (ONLY_MASK_CHARACTERS.test(value) || CONNECTION_PLACEHOLDER.test(value)) return 0;
  return value.length;
}

const HAS_DIGIT = /\d/;
const HAS_LETTER = /[A-Za-z]/;

function acceptOpaqueToken(value: string): number {
  return HAS_DIGIT.test(value) && HAS_LETTER.test(value) ? value.length : 0;
}

// ---------------------------------------------------------------------------------------------
// Secrets.

/** `word` matched in either case, without the `i` flag (which slows the PEM body scan down). */
const anyCase = (word: string): string => word.replace(/[A-Za-z]/g, (c) => `[${c.toUpperCase()}${c.toLowerCase()}]`);
const PEM_LABEL = String.raw`(?:[A-Za-z0-9]{1,16} ){0,3}${anyCase('PRIVATE KEY')}(?: ${anyCase('BLOCK')})?`;
/**
 * Four or five dashes, the boundary of a PEM line also as people mistype it. The look-behind starts
 * a match only at the first four dashes of a run, which keeps the body scan from trying every dash.
 */
const PEM_DASHES = '----(?<!-----)-?';

const B64URL = '[A-Za-z0-9_-]';
/** A line break inside a token that was wrapped or pasted across lines (indentation allowed). */
const TOKEN_BREAK = String.raw`\r?\n[ \t]{0,16}`;
/** Part of a JWT, possibly wrapped across lines: pieces of base64url joined by line breaks. */
const JWT_PART = (max: number): string => `${B64URL}{1,${max}}(?:${TOKEN_BREAK}${B64URL}{1,${max}}){0,64}`;
/**
 * The signature, the last part: a line after a break belongs to it only when that whole line is
 * base64url, so the first word of the next line is not taken for the end of a token.
 */
const JWT_SIGNATURE = String.raw`${B64URL}{0,8192}(?:${TOKEN_BREAK}${B64URL}{1,8192}(?=\r?\n|$)){0,64}`;
const JWT_DOT = String.raw`(?:${TOKEN_BREAK})?\.(?:${TOKEN_BREAK})?`;
const LINE_BREAKS = /\r?\n[ \t]{0,16}/g;

/** A JWT has a header of at least eight characters (`eyJ` and five) and a payload of at least eight. */
function acceptJwt(value: string): number {
  const [header = '', payload = ''] = value.replace(LINE_BREAKS, '').split('.');
  return header.length >= 8 && payload.length >= 8 ? value.length : 0;
}

/** Secret detectors, in the order they run (longer structures first, so inner parts are not split). */
export const SECRET_DETECTORS: readonly Detector<SecretKind>[] = [
  {
    kind: 'pem-private-key',
    pattern: new RegExp(
      String.raw`${PEM_DASHES}${anyCase('BEGIN')} ${PEM_LABEL}${PEM_DASHES}[\s\S]{0,${MAX_FILTER_TEXT_LENGTH}}?(?:${PEM_DASHES}${anyCase('END')} ${PEM_LABEL}${PEM_DASHES}|$)`,
      'g',
    ),
  },
  {
    kind: 'jwt',
    pattern: new RegExp(`(?<![A-Za-z0-9_-])eyJ(?:${JWT_PART(4096)})?${JWT_DOT}${JWT_PART(16384)}${JWT_DOT}${JWT_SIGNATURE}`, 'g'),
    accept: acceptJwt,
  },
  {
    kind: 'connection-string',
    pattern:
      /(?<pre>(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,31}:\/\/[^\s:/@"'<>]{0,128}:)(?<value>[^\s@/"'<>]{1,256})(?=@)/g,
    accept: acceptConnectionPassword,
  },
  {
    kind: 'slack-webhook',
    pattern: /https:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/[A-Za-z0-9_/-]{8,255}/g,
  },
  {
    kind: 'github-token',
    pattern: /(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,244})/g,
  },
  {
    kind: 'gitlab-token',
    pattern: /(?<![A-Za-z0-9])(?:glpat|gldt|glrt|glptt|glft|glsoat)-[A-Za-z0-9_-]{20,255}/g,
  },
  {
    kind: 'slack-token',
    pattern: /(?<![A-Za-z0-9])(?:xox[abprs]-[A-Za-z0-9-]{10,255}|xapp-\d-[A-Za-z0-9-]{10,255})/g,
  },
  {
    kind: 'stripe-key',
    pattern: /(?<![A-Za-z0-9])[sr]k_(?:live|test)_[A-Za-z0-9]{10,255}/g,
  },
  {
    kind: 'aws-access-key',
    pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Za-z0-9])/g,
  },
  {
    kind: 'aws-secret-key',
    pattern: new RegExp(
      String.raw`(?<pre>(?:aws[_-]?)?secret[_-]?(?:access[_-]?)?key${ASSIGN}["']?)(?<value>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])`,
      'gi',
    ),
  },
  {
    kind: 'authorization-header',
    pattern:
      /(?<pre>authorization["']?[ \t]{0,8}[:=][ \t]{0,8}["']?(?:(?:basic|bearer|token|digest|negotiate)[ \t]{1,8})?)(?<value>[^\s"'`,;]{8,4096})/gi,
    accept: acceptAssignedValue(8),
  },
  {
    kind: 'bearer-token',
    pattern: /(?<pre>(?<![A-Za-z0-9])bearer[ \t]{1,8})(?<value>[A-Za-z0-9._~+/-]{16,4096}={0,2})/gi,
    accept: acceptOpaqueToken,
  },
  {
    kind: 'secret-assignment',
    pattern: new RegExp(
      String.raw`(?<pre>(?:api[_-]?key|client[_-]?secret|(?:access|auth|refresh|id|private|session)[_-]?token|secret[_-]?key|private[_-]?key|(?<![A-Za-z0-9])(?:token|secret))${ASSIGN})${ASSIGNED_VALUE}`,
      'gi',
    ),
    accept: acceptAssignedValue(8),
    keepQuotes: true,
  },
  {
    kind: 'password',
    pattern: new RegExp(
      String.raw`(?<pre>(?<![A-Za-z0-9-])--?(?:password|passwd|pwd)[ \t=]{1,8}|(?:password|passwd|passphrase|pwd|(?<![A-Za-z0-9])pw)${ASSIGN})${ASSIGNED_VALUE}`,
      'gi',
    ),
    accept: acceptAssignedValue(1),
    keepQuotes: true,
  },
];

// ---------------------------------------------------------------------------------------------
// Personal data.

const DIGIT = /\d/g;
const CARD_SEPARATOR = /[ .-]/;

function countDigits(text: string): number {
  DIGIT.lastIndex = 0;
  let n = 0;
  while (DIGIT.exec(text) !== null) n++;
  return n;
}

/**
 * Splits a candidate at its separators and returns the length of the longest prefix made of whole
 * groups that `isValid` accepts (0 when none). Keeps a match from failing because the pattern ran
 * on into the next word ("DE89 3704 0044 0532 0130 00 EUR").
 */
function longestValidGroupPrefix(candidate: string, separators: RegExp, isValid: (compact: string) => boolean): number {
  const groups: string[] = [];
  const ends: number[] = [];
  let start = 0;
  for (let i = 0; i <= candidate.length; i++) {
    if (i === candidate.length || separators.test(candidate[i] ?? '')) {
      if (i > start) {
        groups.push(candidate.slice(start, i));
        ends.push(i);
      }
      start = i + 1;
    }
  }
  for (let n = groups.length; n >= 1; n--) {
    if (isValid(groups.slice(0, n).join(''))) return ends[n - 1] ?? 0;
  }
  return 0;
}

function isCardNumber(digits: string): boolean {
  return hasCardIssuerShape(digits) && passesLuhn(digits);
}

/** A card number is grouped with one kind of separator (spaces, dashes or dots), never a mix. */
function acceptCard(candidate: string): number {
  const kinds = Number(candidate.includes(' ')) + Number(candidate.includes('-')) + Number(candidate.includes('.'));
  if (kinds > 1) return 0;
  return longestValidGroupPrefix(candidate, CARD_SEPARATOR, isCardNumber);
}

const IBAN_SEPARATOR = /[ -]/;

function acceptIban(candidate: string): number {
  return longestValidGroupPrefix(candidate, IBAN_SEPARATOR, isValidIban);
}

function acceptSsn(candidate: string): number {
  return isValidSsn(candidate.slice(0, 3), candidate.slice(4, 6), candidate.slice(7, 11)) ? candidate.length : 0;
}

const TRUNK_MARKER = /\(0\)/;
/** `dd-mm-yyyy`, `dd mm yyyy`: a date, not a phone number. */
const DATE_LIKE = /^\(?\d{2}\)?[ .-]\d{2}[ .-](?:19|20)\d{2}(?!\d)/;

function acceptPhone(candidate: string): number {
  if (candidate[0] === '+') {
    const digits = countDigits(candidate.replace(TRUNK_MARKER, ''));
    return digits >= 8 && digits <= 15 ? candidate.length : 0;
  }
  const trunk = candidate[0] === '0' || candidate.startsWith('(0');
  if (!trunk) return candidate.length; // North American shape, fully checked by the pattern
  if (DATE_LIKE.test(candidate)) return 0;
  const digits = countDigits(candidate);
  return digits >= 9 && digits <= 12 ? candidate.length : 0;
}

const PHONE_INTERNATIONAL = String.raw`\+[1-9]\d{7,14}|\+[1-9]\d{0,4}(?:(?:[ .-]?\(0\)[ .-]?|[ .-])\(?\d{1,10}\)?){1,6}`;
const PHONE_NORTH_AMERICAN = String.raw`(?:1[ .-])?(?:\([2-9]\d{2}\)[ .-]?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}`;
const PHONE_NATIONAL_TRUNK = String.raw`\(?0[1-9]\d{0,4}\)?(?:[ .-]\d{2,8}){1,4}`;

/** Personal-data detectors, in the order they run. */
export const PERSONAL_DATA_DETECTORS: readonly Detector<PersonalDataKind>[] = [
  {
    kind: 'email',
    pattern: /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}@(?:[A-Za-z0-9-]{1,63}\.){1,8}[A-Za-z]{2,24}(?![A-Za-z0-9-])/g,
  },
  {
    kind: 'iban',
    pattern: /(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]){11,30}(?![A-Za-z0-9])/g,
    accept: acceptIban,
  },
  {
    kind: 'payment-card',
    pattern: /(?<![\w.+/-])[2-6]\d{3}(?:[ .-]?\d){9,15}(?![\w-]|\.\d)/g,
    accept: acceptCard,
  },
  {
    kind: 'us-ssn',
    pattern: /(?<![\w./-])\d{3}([ .-])\d{2}\1\d{4}(?![\w-]|\.\d)/g,
    accept: acceptSsn,
  },
  {
    kind: 'phone',
    pattern: new RegExp(
      String.raw`(?<![\w+./#-])(?:${PHONE_INTERNATIONAL}|${PHONE_NORTH_AMERICAN}|${PHONE_NATIONAL_TRUNK})(?![\w-]|\.\d)`,
      'g',
    ),
    accept: acceptPhone,
  },
];

/** Every detector, secrets first. */
export const ALL_DETECTORS: readonly Detector[] = [...SECRET_DETECTORS, ...PERSONAL_DATA_DETECTORS];

/** One occurrence a detector accepted: where its value starts and how long it is. */
export interface Finding {
  readonly start: number;
  readonly length: number;
}

/**
 * Calls `onFinding` for every accepted value of `detector` in `text`, left to right, without
 * overlaps. Returning `false` from `onFinding` stops the scan.
 */
export function scan(text: string, detector: Detector, onFinding: (finding: Finding, value: string) => boolean | void): void {
  const { pattern, accept } = detector;
  pattern.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = pattern.exec(text)) !== null) {
    const pre = m.groups?.['pre'] ?? '';
    const value = m.groups?.['value'] ?? m[0];
    if (m[0].length === 0) {
      pattern.lastIndex++;
      continue;
    }
    const length = accept ? accept(value) : value.length;
    if (length > 0 && onFinding({ start: m.index + pre.length, length }, value) === false) break;
  }
  pattern.lastIndex = 0;
}
