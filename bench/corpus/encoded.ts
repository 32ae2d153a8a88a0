/**
 * Encoded samples: secrets and personal data disguised the way text that slips past a filter is
 * disguised — an invisible character inside a token, a look-alike letter, full-width or Arabic-Indic
 * digits, no-break spaces and en dashes as separators, base64 or percent-encoding, a token split
 * across lines, a lower-case PEM header, a spelled-out `[at]`. Every one must be redacted, and each
 * sample lists the pieces of its disguised value that must no longer appear.
 */
import type { RedactionKind } from '../../runtime/src/filters/index.js';
import * as fake from './fake-values.js';
import type { PlantedSample } from './planted.js';
import { SeededRandom } from './random.js';

const ZWSP = '\u200B';
const SOFT_HYPHEN = '\u00AD';
const WORD_JOINER = '\u2060';
const NBSP = '\u00A0';
const THIN_SPACE = '\u2009';
const EN_DASH = '\u2013';
const NB_HYPHEN = '\u2011';

/** Digits written in another script: `base` is the code point of that script's zero. */
const inScript = (text: string, base: number): string => text.replace(/\d/g, (d) => String.fromCodePoint(base + Number(d)));
const fullWidth = (text: string): string =>
  text.replace(/[0-9A-Za-z@]/g, (c) => String.fromCodePoint((c.codePointAt(0) ?? 0) + 0xfee0));
const FULL_WIDTH_DIGITS = 0xff10;
const ARABIC_INDIC_DIGITS = 0x0660;
const MATHEMATICAL_BOLD_DIGITS = 0x1d7ce;
/** Cyrillic letters that look like Latin capitals. */
const CYRILLIC: Readonly<Record<string, string>> = { A: 'А', B: 'В', E: 'Е', K: 'К', M: 'М', H: 'Н', O: 'О', P: 'Р', C: 'С', T: 'Т', X: 'Х' };

const insertAt = (text: string, index: number, inserted: string): string => text.slice(0, index) + inserted + text.slice(index);
const percentEncodeAll = (text: string): string =>
  [...Buffer.from(text, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** The digits of a Luhn-valid 16-digit card, grouped by four with `separator`. */
function card(r: SeededRandom, separator: string): string {
  let digits = '';
  while (digits.length !== 16) digits = fake.fakeCardNumber(r).replace(/\D/g, '');
  return (digits.match(/.{4}/g) ?? []).join(separator);
}

function ssn(r: SeededRandom, separator: string): string {
  return fake.fakeSsn(r).replace(/\D/g, '').replace(/^(\d{3})(\d{2})(\d{4})$/, `$1${separator}$2${separator}$3`);
}

/** A North American number in the 555-01xx range reserved for fiction. */
function phone(r: SeededRandom, separator: string): string {
  return ['+1', `${r.int(2, 9)}${r.digits(2)}`, '555', `01${r.digits(2)}`].join(separator);
}

function iban(r: SeededRandom, separator: string): string {
  const compact = fake.fakeIban(r).replace(/ /g, '');
  return (compact.match(/.{1,4}/g) ?? []).join(separator);
}

type Disguise = { readonly kind: RedactionKind; readonly name: string; readonly build: (r: SeededRandom) => { text: string; value: string } };

const bare = (value: string): { text: string; value: string } => ({ text: value, value });

const DISGUISES: readonly Disguise[] = [
  // AWS access key ids
  { kind: 'aws-access-key', name: 'zero-width-space', build: (r) => bare(insertAt(fake.fakeAwsAccessKeyId(r), 4, ZWSP)) },
  { kind: 'aws-access-key', name: 'soft-hyphen', build: (r) => bare(insertAt(fake.fakeAwsAccessKeyId(r), 10, SOFT_HYPHEN)) },
  { kind: 'aws-access-key', name: 'word-joiner', build: (r) => bare(insertAt(fake.fakeAwsAccessKeyId(r), 7, WORD_JOINER)) },
  { kind: 'aws-access-key', name: 'full-width-letter', build: (r) => { const key = fake.fakeAwsAccessKeyId(r); return bare(fullWidth(key.slice(0, 1)) + key.slice(1)); } },
  { kind: 'aws-access-key', name: 'full-width', build: (r) => bare(fullWidth(fake.fakeAwsAccessKeyId(r))) },
  { kind: 'aws-access-key', name: 'cyrillic-letter', build: (r) => { const key = fake.fakeAwsAccessKeyId(r); return bare(`${key.slice(0, 3)}${CYRILLIC['A']}${key.slice(4)}`); } },
  { kind: 'aws-access-key', name: 'cyrillic-letters', build: (r) => bare(fake.fakeAwsAccessKeyId(r).replace(/[ABEKMHOPCTX]/g, (c) => CYRILLIC[c] ?? c)) },
  { kind: 'aws-access-key', name: 'base64', build: (r) => bare(Buffer.from(fake.fakeAwsAccessKeyId(r)).toString('base64')) },
  { kind: 'aws-access-key', name: 'base64-assignment', build: (r) => bare(Buffer.from(`AWS_ACCESS_KEY_ID=${fake.fakeAwsAccessKeyId(r)}\n`).toString('base64')) },
  { kind: 'aws-access-key', name: 'base64url', build: (r) => bare(Buffer.from(`key?${fake.fakeAwsAccessKeyId(r)}>`).toString('base64url')) },
  { kind: 'aws-access-key', name: 'percent-encoded', build: (r) => bare(percentEncodeAll(fake.fakeAwsAccessKeyId(r))) },
  { kind: 'aws-access-key', name: 'percent-encoded-query', build: (r) => { const key = fake.fakeAwsAccessKeyId(r); const value = `${key.slice(0, 4)}%${key.charCodeAt(4).toString(16)}${key.slice(5)}`; return { text: `https://app.invalid/cb?k=${value}&x=1`, value }; } },
  { kind: 'aws-secret-key', name: 'zero-width-in-name', build: (r) => { const s = fake.fakeAwsSecretAccessKey(r); return { text: `aws_secret${ZWSP}_access_key = ${s}`, value: s }; } },
  // Tokens
  { kind: 'github-token', name: 'zero-width-space', build: (r) => bare(insertAt(`ghp_${r.alnum(36)}`, 4, ZWSP)) },
  { kind: 'github-token', name: 'zero-width-inside', build: (r) => bare(insertAt(`ghp_${r.alnum(36)}`, 20, ZWSP)) },
  { kind: 'github-token', name: 'percent-encoded-underscore', build: (r) => bare(`ghp%5F${r.alnum(36)}`) },
  { kind: 'slack-token', name: 'cyrillic-letter', build: (r) => bare(fake.fakeSlackToken(r).replace('x', 'х')) },
  { kind: 'stripe-key', name: 'full-width', build: (r) => bare(fullWidth(fake.fakeStripeKey(r))) },
  { kind: 'jwt', name: 'newline-at-dot', build: (r) => { const t = fake.fakeJwt(r); return bare(t.replace('.', '\n.')); } },
  { kind: 'jwt', name: 'newline-in-payload', build: (r) => { const t = fake.fakeJwt(r); const dot = t.indexOf('.'); return bare(insertAt(t, dot + 12, '\n')); } },
  { kind: 'jwt', name: 'wrapped-indented', build: (r) => { const t = fake.fakeJwt(r); return bare(insertAt(insertAt(t, 30, '\n    '), 80, '\n    ')); } },
  { kind: 'jwt', name: 'zero-width-space', build: (r) => bare(insertAt(fake.fakeJwt(r), 3, ZWSP)) },
  { kind: 'pem-private-key', name: 'lower-case-header', build: (r) => { const { block, lines } = fake.fakePemPrivateKey(r); return { text: block.toLowerCase(), value: lines.join('\n').toLowerCase() }; } },
  { kind: 'pem-private-key', name: 'four-dashes', build: (r) => { const { block, lines } = fake.fakePemPrivateKey(r); return { text: block.replace(/-----/g, '----'), value: lines.join('\n') }; } },
  { kind: 'pem-private-key', name: 'header-only-lower-case', build: (r) => { const { block, lines } = fake.fakePemPrivateKey(r); return { text: block.replace(/BEGIN [A-Z ]+-----/, (m) => m.toLowerCase()), value: lines.join('\n') }; } },
  // Assignments
  { kind: 'password', name: 'pw-assignment', build: (r) => { const p = fake.fakePassword(r); return { text: `pw=${p}`, value: p }; } },
  { kind: 'secret-assignment', name: 'token-assignment', build: (r) => { const t = fake.fakeOpaqueToken(r); return { text: `token=${t}`, value: t }; } },
  { kind: 'secret-assignment', name: 'secret-assignment', build: (r) => { const t = fake.fakeOpaqueToken(r); return { text: `secret=${t}`, value: t }; } },
  { kind: 'password', name: 'full-width-key', build: (r) => { const p = fake.fakePassword(r); return { text: `ｐａｓｓｗｏｒｄ: ${p}`, value: p }; } },
  // E-mail addresses
  { kind: 'email', name: 'full-width-at', build: (r) => bare(fake.fakeEmail(r).replace('@', '＠')) },
  { kind: 'email', name: 'zero-width-space', build: (r) => bare(fake.fakeEmail(r).replace('@', `${ZWSP}@`)) },
  { kind: 'email', name: 'spelled-at', build: (r) => bare(fake.fakeEmail(r).replace('@', ' [at] ')) },
  { kind: 'email', name: 'spelled-at-and-dot', build: (r) => bare(fake.fakeEmail(r).replace('@', '(at)').replace(/\.(?=[a-z]+$)/, ' [dot] ')) },
  { kind: 'email', name: 'percent-encoded-at', build: (r) => { const value = fake.fakeEmail(r).replace('@', '%40'); return { text: `mailto:${value}`, value }; } },
  // Phone numbers
  { kind: 'phone', name: 'no-break-space', build: (r) => bare(phone(r, NBSP)) },
  { kind: 'phone', name: 'en-dash', build: (r) => bare(phone(r, EN_DASH)) },
  { kind: 'phone', name: 'dots', build: (r) => bare(phone(r, '.')) },
  { kind: 'phone', name: 'full-width-digits', build: (r) => bare(inScript(phone(r, ' '), FULL_WIDTH_DIGITS)) },
  { kind: 'phone', name: 'arabic-indic-digits', build: (r) => bare(inScript(phone(r, ' '), ARABIC_INDIC_DIGITS)) },
  // Payment cards
  { kind: 'payment-card', name: 'no-break-space', build: (r) => bare(card(r, NBSP)) },
  { kind: 'payment-card', name: 'en-dash', build: (r) => bare(card(r, EN_DASH)) },
  { kind: 'payment-card', name: 'dots', build: (r) => bare(card(r, '.')) },
  { kind: 'payment-card', name: 'thin-space', build: (r) => bare(card(r, THIN_SPACE)) },
  { kind: 'payment-card', name: 'full-width-digits', build: (r) => bare(inScript(card(r, ' '), FULL_WIDTH_DIGITS)) },
  { kind: 'payment-card', name: 'arabic-indic-digits', build: (r) => bare(inScript(card(r, ' '), ARABIC_INDIC_DIGITS)) },
  { kind: 'payment-card', name: 'mathematical-digits', build: (r) => bare(inScript(card(r, ''), MATHEMATICAL_BOLD_DIGITS)) },
  { kind: 'payment-card', name: 'zero-width-separated', build: (r) => bare(card(r, ZWSP)) },
  // US social security numbers
  { kind: 'us-ssn', name: 'no-break-space', build: (r) => bare(ssn(r, NBSP)) },
  { kind: 'us-ssn', name: 'en-dash', build: (r) => bare(ssn(r, EN_DASH)) },
  { kind: 'us-ssn', name: 'non-breaking-hyphen', build: (r) => bare(ssn(r, NB_HYPHEN)) },
  { kind: 'us-ssn', name: 'dots', build: (r) => bare(ssn(r, '.')) },
  { kind: 'us-ssn', name: 'full-width-digits', build: (r) => bare(inScript(ssn(r, '-'), FULL_WIDTH_DIGITS)) },
  { kind: 'us-ssn', name: 'arabic-indic-digits', build: (r) => bare(inScript(ssn(r, '-'), ARABIC_INDIC_DIGITS)) },
  // IBANs
  { kind: 'iban', name: 'dashes', build: (r) => bare(iban(r, '-')) },
  { kind: 'iban', name: 'no-break-space', build: (r) => bare(iban(r, NBSP)) },
  { kind: 'iban', name: 'full-width', build: (r) => bare(fullWidth(iban(r, ' '))) },
];

/** Surroundings of the disguised values (no word in them is a piece of a value). */
const SURROUNDINGS: ReadonlyArray<(fragment: string) => string> = [
  (f) => f,
  (f) => `Saved note: ${f}`,
  (f) => (f.includes('\n') ? `Saved:\n${f}\n(end)` : `{"note":"${f}","pinned":false}`),
  (f) => `| field | value |\n| --- | --- |\n| note | ${f} |`,
  (f) => `2026-12-01T09:00:00Z INFO note added text="${f}"`,
];

/** Pieces of a disguised value that must be gone after redaction: its runs of letters and digits of 4 or more. */
function piecesOf(value: string): string[] {
  return value.split(/[^\p{L}\p{N}_]+/u).filter((piece) => piece.length >= 4);
}

const MARKER = /\[REDACTED:[a-z-]{1,40}\]/g;

/**
 * Whether any secret of `sample` is still in `redacted` (the sample's text after redaction); the
 * markers themselves are not searched, so a piece such as `mail` is not found inside `[REDACTED:email]`.
 */
export function leaksSecret(sample: PlantedSample, redacted: string): boolean {
  const rest = redacted.replace(MARKER, '');
  return sample.secrets.some((secret) => rest.includes(secret));
}

/** The encoded corpus: every disguise above, the same on every call. */
export function encodedSamples(seed = 16_016): PlantedSample[] {
  const r = new SeededRandom(seed);
  return DISGUISES.map((disguise, i) => {
    const { text, value } = disguise.build(r);
    const surround = SURROUNDINGS[i % SURROUNDINGS.length] ?? ((f: string) => f);
    return { id: `${disguise.kind}-${disguise.name}`, kind: disguise.kind, text: surround(text), secrets: piecesOf(value) };
  });
}
