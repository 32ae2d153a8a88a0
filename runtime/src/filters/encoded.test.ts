import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { benignSamples, encodedSamples, leaksSecret } from '../../../bench/corpus/index.js';
import { findCredentialValue, redactText } from './index.js';
import { normalizedView } from './normalize.js';

const ALL = { redactPersonalData: true };
const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';

describe('encoded corpus', () => {
  const samples = encodedSamples();

  test('has at least 43 samples, among them every disguise the filters are known to have missed', () => {
    assert.ok(samples.length >= 43, `${samples.length} samples`);
    const ids = new Set(samples.map((s) => s.id));
    for (const id of [
      'aws-access-key-zero-width-space', 'aws-access-key-soft-hyphen', 'aws-access-key-full-width-letter', 'aws-access-key-cyrillic-letter',
      'aws-access-key-base64', 'aws-access-key-percent-encoded', 'github-token-zero-width-space', 'jwt-newline-in-payload',
      'pem-private-key-lower-case-header', 'pem-private-key-four-dashes', 'password-pw-assignment', 'secret-assignment-token-assignment',
      'secret-assignment-secret-assignment', 'email-full-width-at', 'email-zero-width-space', 'email-spelled-at',
      'phone-no-break-space', 'phone-en-dash', 'phone-dots', 'phone-full-width-digits', 'phone-arabic-indic-digits',
      'payment-card-no-break-space', 'payment-card-en-dash', 'payment-card-dots', 'payment-card-full-width-digits', 'payment-card-arabic-indic-digits',
      'us-ssn-no-break-space', 'us-ssn-en-dash', 'us-ssn-dots', 'us-ssn-full-width-digits', 'us-ssn-arabic-indic-digits', 'iban-dashes',
    ]) {
      assert.ok(ids.has(id), id);
    }
  });

  for (const sample of samples) {
    test(`redacts ${sample.id}`, () => {
      const { text, redactions } = redactText(sample.text, ALL);
      assert.equal(leaksSecret(sample, text), false, JSON.stringify(text));
      assert.ok((redactions[sample.kind] ?? 0) >= 1, `kind ${sample.kind} reported: ${JSON.stringify(redactions)}`);
    });
  }

  test('the benign corpus changes no more than before (3 of 241 samples)', () => {
    const changed = benignSamples().filter((sample) => redactText(sample.text, ALL).text !== sample.text);
    assert.ok(changed.length <= 3, `false positives: ${changed.map((s) => s.id).join(', ')}`);
  });
});

describe('redaction of disguised values', () => {
  test('covers the original span, invisible characters and look-alikes included, and keeps the rest verbatim', () => {
    const disguised = `${AWS_KEY_ID.slice(0, 4)}\u200B${AWS_KEY_ID.slice(4, 9)}\u0410${AWS_KEY_ID.slice(10)}`;
    const input = `ｎｏｔｅ — “${disguised}” ok`;
    assert.equal(redactText(input, ALL).text, 'ｎｏｔｅ — “[REDACTED:aws-access-key]” ok');
  });

  test('redacts a percent-encoded value escape by escape, leaving the rest of the URL', () => {
    const url = `https://app.invalid/cb?key=${AWS_KEY_ID.slice(0, 4)}%${AWS_KEY_ID.charCodeAt(4).toString(16)}${AWS_KEY_ID.slice(5)}&page=2`;
    assert.equal(redactText(url, ALL).text, 'https://app.invalid/cb?key=[REDACTED:aws-access-key]&page=2');
  });

  test('redacts a whole base64 run that decodes to a secret, and leaves base64 of ordinary text', () => {
    const encoded = Buffer.from(`id=${AWS_KEY_ID}`).toString('base64');
    assert.equal(redactText(`blob ${encoded} end`, ALL).text, 'blob [REDACTED:aws-access-key] end');
    const harmless = `blob ${Buffer.from('nothing to see in here').toString('base64')} end`;
    assert.equal(redactText(harmless, ALL).text, harmless);
  });

  test('looks two encodings deep: base64 inside percent-encoding', () => {
    const inner = Buffer.from(`k ${AWS_KEY_ID}`).toString('base64').replace(/=/g, '%3D');
    assert.match(redactText(`q=${inner}`, ALL).text, /\[REDACTED:aws-access-key\]/);
  });

  test('does not take the first word of the next line for the end of a wrapped JWT', () => {
    const jwt = ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'c2lnbmF0dXJlLW5vdC1yZWFs'].join('.');
    const wrapped = `${jwt.slice(0, 30)}\n${jwt.slice(30)}`;
    assert.equal(redactText(`token:\n${wrapped}\nnext line here`, ALL).text, 'token:\n[REDACTED:jwt]\nnext line here');
  });

  test('leaves a mixed-separator digit run and a dotted version alone', () => {
    for (const input of ['build 4539.1488-0343 6467', 'release 2.14.3.1002', 'see [at] noon']) {
      assert.equal(redactText(input, ALL).text, input);
    }
  });
});

describe('normalizedView', () => {
  test('maps every unit back to the source units it came from', () => {
    const source = 'a\u200Bｂ\u00A0٣ [at] x';
    const view = normalizedView(source);
    assert.equal(view.text, 'ab 3@x');
    const pieces = [...view.text].map((_, i) => source.slice(view.from?.[i], view.to?.[i]));
    assert.deepEqual(pieces, ['a', 'ｂ', '\u00A0', '٣', ' [at] ', 'x']);
  });

  test('is its own view for plain ASCII text', () => {
    const view = normalizedView('plain text, nothing to fold');
    assert.equal(view.from, undefined);
  });
});

describe('findCredentialValue on disguised values', () => {
  test('refuses the same disguised credentials that output redaction removes', () => {
    const zeroWidth = `${AWS_KEY_ID.slice(0, 4)}\u200B${AWS_KEY_ID.slice(4)}`;
    assert.equal(findCredentialValue({ note: zeroWidth }), 'aws-access-key');
    assert.equal(findCredentialValue({ note: Buffer.from(AWS_KEY_ID).toString('base64') }), 'aws-access-key');
    assert.equal(findCredentialValue({ note: 'ghp%5F' + 'a1'.repeat(18) }), 'github-token');
    assert.equal(findCredentialValue({ note: 'token=ab12cd34ef56gh78' }), 'secret-assignment');
    assert.equal(findCredentialValue({ [zeroWidth]: 1 }), 'aws-access-key');
  });
});
