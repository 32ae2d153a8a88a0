/**
 * Worst-case inputs per pattern family: texts built to make a backtracking matcher work as hard as
 * possible (long runs that almost match, prefixes repeated without the rest, separators that keep
 * a partial match alive). Timing the filters on these at growing sizes shows whether the work grows
 * linearly.
 */

export interface AdversarialFamily {
  /** Pattern family, named after the detectors it targets. */
  readonly family: string;
  /** A text of exactly `size` characters. */
  readonly build: (size: number) => string;
}

function repeatTo(unit: string, size: number, head = ''): string {
  const body = unit.repeat(Math.ceil(Math.max(0, size - head.length) / unit.length) + 1);
  return (head + body).slice(0, size);
}

const A = (n: number): string => 'a'.repeat(n);

/** One entry per pattern family of the filters, plus the local moderation rules. */
export const ADVERSARIAL_FAMILIES: readonly AdversarialFamily[] = [
  { family: 'pem-private-key', build: (n) => repeatTo(`-----END ${'A'.repeat(16)} ${'B'.repeat(16)} PRIVATE KE\n`, n, '-----BEGIN RSA PRIVATE KEY-----\n') },
  { family: 'pem-header', build: (n) => repeatTo(`-----BEGIN ${'A'.repeat(16)} ${'B'.repeat(16)} ${'C'.repeat(16)} PRIVATE KE `, n) },
  { family: 'jwt', build: (n) => repeatTo(`eyJ${'A'.repeat(5000)}.${'b'.repeat(7)} `, n) },
  { family: 'connection-string', build: (n) => repeatTo(`db+x://${'u'.repeat(128)}:${'p'.repeat(256)}/ `, n) },
  { family: 'tokens (github, gitlab, slack, stripe)', build: (n) => repeatTo(`ghp_${A(35)} glpat-${A(19)} xoxb-${A(9)} sk_live_${A(9)} xapp-1-${A(9)} `, n) },
  { family: 'aws-access-key', build: (n) => repeatTo(`AKIA${'A'.repeat(15)} ASIA${'B'.repeat(17)} `, n) },
  { family: 'aws-secret-key', build: (n) => repeatTo(`aws_secret_access_key = "${A(39)}" `, n) },
  { family: 'authorization / bearer', build: (n) => repeatTo(`Authorization: Bearer ${A(7)} bearer ${A(15)} `, n) },
  { family: 'password / secret assignment', build: (n) => repeatTo(`password${' '.repeat(9)}:api_key${' '.repeat(9)}="pwd:=`, n) },
  { family: 'password (unterminated value)', build: (n) => repeatTo(`password: "${'x'.repeat(1100)}`, n) },
  { family: 'password (many short values)', build: (n) => repeatTo("pwd='a", n) },
  { family: 'email', build: (n) => repeatTo(`${A(64)}@${`${'b'.repeat(63)}.`.repeat(8)}1 `, n) },
  { family: 'phone', build: (n) => repeatTo('+12345 (0) 1 2 3 4 5 6x (020) 1 0 ', n) },
  { family: 'payment-card', build: (n) => repeatTo('4111 ', n) },
  { family: 'iban', build: (n) => repeatTo('DE89 ', n) },
  { family: 'iban (long run)', build: (n) => repeatTo(`DE00 ${'0000 '.repeat(7)}0000000x `, n) },
  { family: 'us-ssn', build: (n) => repeatTo('123-45-678 123 45 678 ', n) },
  { family: 'jwt (wrapped across lines)', build: (n) => repeatTo(`eyJ${'A'.repeat(40)}\n  ${'b'.repeat(40)}\n.${'c'.repeat(9)}\n${'d'.repeat(30)} x\n`, n) },
  { family: 'normalisation (invisible, full-width, look-alikes)', build: (n) => repeatTo('ＡＫＩＡ\u200B\u00AD\u0410٣\u00A0–＠ [at] ', n) },
  { family: 'base64 runs (decode to text)', build: (n) => repeatTo(`${Buffer.from('pw=1 token: ab12 user@host 4111 1111').toString('base64')} `, n) },
  { family: 'base64 runs (decode to binary)', build: (n) => repeatTo(`${'A'.repeat(15)}/ ${'Zm9v'.repeat(40)}%`, n) },
  { family: 'percent-encoding runs', build: (n) => repeatTo('%41%4B%49%41%e2%80%8bx%2', n) },
  { family: 'moderation (local rules)', build: (n) => repeatTo('ignore all the any of you must have to need to do not tell I am going to ', n) },
];
