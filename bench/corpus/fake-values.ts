/**
 * Generators of realistic-looking but fake secrets and personal data. Values are built at run time
 * from a seeded generator (nothing secret-shaped is stored in the repository), and they carry valid
 * checksums where the real thing has one: Luhn for cards, mod 97 for IBANs, issued ranges for SSNs.
 * Emails use the reserved example domains; phone numbers use ranges reserved for fiction where
 * there is one (555-01xx in North America, 020 7946 0xxx and 07700 900xxx in the UK).
 */
import { ALNUM, BASE64, BASE64URL, DIGITS, LOWER, SeededRandom, UPPER } from './random.js';

export function fakeAwsAccessKeyId(r: SeededRandom): string {
  return r.pick(['AKIA', 'ASIA']) + r.chars(UPPER + '234567', 16);
}

export function fakeAwsSecretAccessKey(r: SeededRandom): string {
  return r.chars(BASE64, 40);
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

export function fakeJwt(r: SeededRandom): string {
  const header = base64url(JSON.stringify({ alg: r.pick(['HS256', 'RS256', 'ES256']), typ: 'JWT' }));
  const iat = 1_700_000_000 + r.int(0, 50_000_000);
  const payload = base64url(
    JSON.stringify({ sub: `user-${r.digits(6)}`, iss: 'https://issuer.example.com', aud: 'mcp', iat, exp: iat + 3600 }),
  );
  return `${header}.${payload}.${r.chars(BASE64URL, r.pick([43, 86, 342]))}`;
}

/** A PEM private key block and its body lines. */
export function fakePemPrivateKey(r: SeededRandom): { block: string; lines: string[] } {
  const label = r.pick(['RSA PRIVATE KEY', 'PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY', 'ENCRYPTED PRIVATE KEY']);
  const lines: string[] = [];
  const count = r.int(3, 12);
  for (let i = 0; i < count; i++) lines.push(r.chars(BASE64, i === count - 1 ? r.int(8, 60) : 64));
  return { block: `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----`, lines };
}

export function fakeGithubToken(r: SeededRandom): string {
  if (r.next() < 0.25) return `github_pat_${r.alnum(22)}_${r.alnum(59)}`;
  return `${r.pick(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])}_${r.alnum(36)}`;
}

export function fakeGitlabToken(r: SeededRandom): string {
  return `glpat-${r.chars(ALNUM + '_-', 20)}`;
}

export function fakeSlackToken(r: SeededRandom): string {
  return `${r.pick(['xoxb', 'xoxp', 'xoxa', 'xoxr'])}-${r.digits(11)}-${r.digits(12)}-${r.alnum(24)}`;
}

export function fakeSlackWebhook(r: SeededRandom): string {
  return `https://hooks.slack.com/services/T${r.chars(UPPER + DIGITS, 8)}/B${r.chars(UPPER + DIGITS, 10)}/${r.alnum(24)}`;
}

export function fakeStripeKey(r: SeededRandom): string {
  return `${r.pick(['sk_live', 'rk_live', 'sk_test'])}_${r.alnum(r.pick([24, 99]))}`;
}

/** A password: letters, digits and symbols, no quotes or white space. */
export function fakePassword(r: SeededRandom): string {
  const symbols = '!@#%^&*()-_+=?.,;:[]{}~';
  return r.chars(UPPER + LOWER, 1) + r.chars(ALNUM + symbols, r.int(7, 20)) + r.chars(DIGITS, 1);
}

/** A passphrase of several words, for quoted contexts. */
export function fakePassphrase(r: SeededRandom): string {
  const words = ['correct', 'horse', 'battery', 'staple', 'maple', 'orbit', 'velvet', 'cobalt', 'lantern', 'quartz'];
  return [r.pick(words), r.pick(words), r.pick(words), r.digits(2)].join(' ');
}

/** A password safe inside a URL (RFC 3986 unreserved characters). */
export function fakeUrlPassword(r: SeededRandom): string {
  return r.chars(LOWER + UPPER, 1) + r.chars(ALNUM + '-._~', r.int(7, 24));
}

export function fakeOpaqueToken(r: SeededRandom): string {
  return r.chars(LOWER, 2) + r.digits(2) + r.chars(ALNUM + '-_', r.int(24, 60));
}

const GIVEN = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar'];
const FAMILY = ['smith', 'jones', 'garcia', 'miller', 'davis', 'martin', 'dubois', 'schmidt', 'rossi', 'tanaka'];
const EMAIL_DOMAINS = ['example.com', 'example.org', 'example.net', 'mail.example.com', 'corp.example.co.uk', 'eu.example.io'];

export function fakeEmail(r: SeededRandom): string {
  const local = r.pick([
    () => `${r.pick(GIVEN)}.${r.pick(FAMILY)}`,
    () => `${r.pick(GIVEN)}${r.digits(2)}`,
    () => `${r.pick(GIVEN)[0]}${r.pick(FAMILY)}`,
    () => `${r.pick(GIVEN)}+${r.pick(['news', 'billing', 'test'])}`,
    () => `${r.pick(GIVEN)}_${r.pick(FAMILY)}`,
  ])();
  return `${local}@${r.pick(EMAIL_DOMAINS)}`;
}

export function fakePhone(r: SeededRandom): string {
  const area = `${r.int(2, 9)}${r.digits(2)}`;
  const line = `01${r.digits(2)}`;
  const uk = `0${r.digits(3)}`;
  const ukMobile = `${r.digits(3)}`;
  return r.pick([
    () => `(${area}) 555-${line}`,
    () => `${area}-555-${line}`,
    () => `${area}.555.${line}`,
    () => `+1 ${area} 555 ${line}`,
    () => `+1-${area}-555-${line}`,
    () => `+1 (${area}) 555-${line}`,
    () => `1-${area}-555-${line}`,
    () => `+1${area}555${line}`,
    () => `+44 20 7946 ${uk}`,
    () => `020 7946 ${uk}`,
    () => `+44 (0)20 7946 ${uk}`,
    () => `07700 900${ukMobile}`,
    () => `+44 7700 900${ukMobile}`,
    () => `+33 1 99 00 ${r.digits(2)} ${r.digits(2)}`,
    () => `01 99 00 ${r.digits(2)} ${r.digits(2)}`,
    () => `+49 30 ${r.int(2, 9)}${r.digits(6)}`,
    () => `030 ${r.int(2, 9)}${r.digits(6)}`,
    () => `+81 3-${r.digits(4)}-${r.digits(4)}`,
    () => `+61 2 ${r.digits(4)} ${r.digits(4)}`,
  ])();
}

function luhnCheckDigit(partial: string): string {
  let sum = 0;
  let double = true;
  for (let i = partial.length - 1; i >= 0; i--) {
    let d = Number(partial[i]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return String((10 - (sum % 10)) % 10);
}

function group(digits: string, sizes: readonly number[], separator: string): string {
  const parts: string[] = [];
  let at = 0;
  for (const size of sizes) {
    parts.push(digits.slice(at, at + size));
    at += size;
  }
  return parts.join(separator);
}

/** A Luhn-valid card number of a real issuer shape, formatted as cards are printed or typed. */
export function fakeCardNumber(r: SeededRandom): string {
  const brand = r.pick([
    { prefix: () => '4', length: 16, groups: [4, 4, 4, 4] },
    { prefix: () => '4', length: 13, groups: [4, 4, 5] },
    { prefix: () => String(r.int(51, 55)), length: 16, groups: [4, 4, 4, 4] },
    { prefix: () => String(r.int(2221, 2720)), length: 16, groups: [4, 4, 4, 4] },
    { prefix: () => r.pick(['34', '37']), length: 15, groups: [4, 6, 5] },
    { prefix: () => '6011', length: 16, groups: [4, 4, 4, 4] },
    { prefix: () => String(r.int(3528, 3589)), length: 16, groups: [4, 4, 4, 4] },
    { prefix: () => '36', length: 14, groups: [4, 6, 4] },
    { prefix: () => '62', length: 19, groups: [4, 4, 4, 4, 3] },
  ]);
  const prefix = brand.prefix();
  const body = prefix + r.digits(brand.length - prefix.length - 1);
  const digits = body + luhnCheckDigit(body);
  const separator = r.pick([' ', '-', '']);
  return separator === '' ? digits : group(digits, brand.groups, separator);
}

const IBAN_FORMATS: Readonly<Record<string, string>> = {
  DE: 'n18', GB: 'a4n14', FR: 'n10c11n2', NL: 'a4n10', ES: 'n20', IT: 'a1n10c12', BE: 'n12', CH: 'n5c12',
  AT: 'n16', PL: 'n24', SE: 'n20', NO: 'n11', IE: 'a4n14', PT: 'n21', DK: 'n14', FI: 'n14',
};
const FORMAT_PART = /([anc])(\d+)/g;
const GROUP_OF_FOUR = /.{1,4}/g;

function ibanCheckDigits(country: string, bban: string): string {
  const rearranged = `${bban}${country}00`;
  let remainder = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const d of value) remainder = (remainder * 10 + Number(d)) % 97;
  }
  return String(98 - remainder).padStart(2, '0');
}

/** A mod-97-valid IBAN of a real country length, compact or in groups of four. */
export function fakeIban(r: SeededRandom): string {
  const country = r.pick(Object.keys(IBAN_FORMATS));
  let bban = '';
  for (const [, type, count] of (IBAN_FORMATS[country] ?? '').matchAll(FORMAT_PART)) {
    const alphabet = type === 'n' ? DIGITS : type === 'a' ? UPPER : UPPER + DIGITS;
    bban += r.chars(alphabet, Number(count));
  }
  const iban = `${country}${ibanCheckDigits(country, bban)}${bban}`;
  return r.next() < 0.5 ? iban : (iban.match(GROUP_OF_FOUR) ?? []).join(' ');
}

/** A US SSN in issued ranges (area 001–899 except 666, group 01–99, serial 0001–9999). */
export function fakeSsn(r: SeededRandom): string {
  let area = r.int(1, 899);
  if (area === 666) area = 665;
  const separator = r.next() < 0.8 ? '-' : ' ';
  return [String(area).padStart(3, '0'), String(r.int(1, 99)).padStart(2, '0'), String(r.int(1, 9999)).padStart(4, '0')].join(
    separator,
  );
}

export function fakeUuid(r: SeededRandom): string {
  return `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`;
}
