import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FilterLimitError, MAX_FILTER_DEPTH, MAX_FILTER_TEXT_LENGTH, redactText, redactToolResult } from './index.js';

// Fake credentials are assembled from parts so that no complete token-shaped literal sits in the source.
const AWS_KEY_ID = 'AKIA' + 'IOSFODNN7EXAMPLE';
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
const JWT = ['eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkphbmUifQ', 'c2lnbmF0dXJlLW5vdC1yZWFs'].join('.');
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEAzZ9fakefakefakefakefake', 'bm90IGEgcmVhbCBrZXk=', '-----END RSA PRIVATE KEY-----'].join('\n');
const GITHUB = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const GITHUB_FINE = 'github_pat_' + '11ABCDEFG0123456789abcd_' + 'x'.repeat(59);
const GITLAB = 'glpat-' + 'Abc123Def456Ghi789Jk';
const SLACK = 'xoxb-' + '12345678901-123456789012-AbCdEfGhIjKlMnOpQrStUvWx';
const SLACK_HOOK = 'https://hooks.slack.com/services/' + 'T00000000/B00000000/' + 'XXXXXXXXXXXXXXXXXXXXXXXX';
const STRIPE = 'sk_live_' + '4eC39HqLyjWDarjtT1zdp7dc';

const SECRETS_ONLY = { redactPersonalData: false };
const ALL = { redactPersonalData: true };

describe('redactText: secrets', () => {
  const cases: Array<[string, string, string, string]> = [
    ['aws-access-key', `key id ${AWS_KEY_ID} in use`, AWS_KEY_ID, 'key id [REDACTED:aws-access-key] in use'],
    ['aws-secret-key', `aws_secret_access_key = ${AWS_SECRET}`, AWS_SECRET, 'aws_secret_access_key = [REDACTED:aws-secret-key]'],
    ['jwt', `token: ${JWT}.`, JWT, 'token: [REDACTED:jwt].'],
    ['pem-private-key', `before\n${PEM}\nafter`, 'bm90IGEgcmVhbCBrZXk=', 'before\n[REDACTED:pem-private-key]\nafter'],
    ['github-token', `use ${GITHUB}`, GITHUB, 'use [REDACTED:github-token]'],
    ['github-token', `use ${GITHUB_FINE}`, GITHUB_FINE, 'use [REDACTED:github-token]'],
    ['gitlab-token', `GITLAB_TOKEN ${GITLAB}`, GITLAB, 'GITLAB_TOKEN [REDACTED:gitlab-token]'],
    ['slack-token', SLACK, SLACK, '[REDACTED:slack-token]'],
    ['slack-webhook', `post to ${SLACK_HOOK}`, SLACK_HOOK, 'post to [REDACTED:slack-webhook]'],
    ['stripe-key', `stripe ${STRIPE}`, STRIPE, 'stripe [REDACTED:stripe-key]'],
    ['password', 'password=hunter2&user=bob', 'hunter2', 'password=[REDACTED:password]'],
    ['password', '{"password": "correct horse"}', 'correct horse', '{"password": "[REDACTED:password]"}'],
    ['password', 'pwd: Summer(2024)', 'Summer(2024)', 'pwd: [REDACTED:password]'],
    ['password', "$config['db_password'] => 'x9!k';", 'x9!k', "$config['db_password'] => '[REDACTED:password]';"],
    ['connection-string', 'postgres://app:s3cr3t-pw@db.example.com:5432/app', 's3cr3t-pw', 'postgres://app:[REDACTED:connection-string]@db.example.com:5432/app'],
    ['authorization-header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [REDACTED:authorization-header]'],
    ['bearer-token', "auth: 'Bearer ab12cd34ef56gh78ij90'", 'ab12cd34ef56gh78ij90', "auth: 'Bearer [REDACTED:bearer-token]'"],
    ['secret-assignment', 'api_key: "k-1234567890abcdef"', 'k-1234567890abcdef', 'api_key: "[REDACTED:secret-assignment]"'],
  ];
  for (const [kind, input, secret, expected] of cases) {
    test(`replaces ${kind} in ${JSON.stringify(input.slice(0, 40))}`, () => {
      const { text, redactions } = redactText(input, SECRETS_ONLY);
      assert.equal(text.includes(secret), false);
      assert.equal(text, expected);
      assert.equal(redactions[kind as keyof typeof redactions], 1);
    });
  }

  test('redacts an unterminated private key block to the end of the text', () => {
    const { text } = redactText(`key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nmore`, SECRETS_ONLY);
    assert.equal(text, 'key:\n[REDACTED:pem-private-key]');
  });

  test('leaves code that reads a password, placeholders and type annotations alone', () => {
    for (const input of [
      'const password = getPassword();',
      'password: z.string().min(12),',
      'password: string;',
      'password: ********',
      'password=${DB_PASSWORD}',
      'if (password == other) return;',
      'password = :pwd',
      'const apiKey = config.get("apiKey");',
      'password = request.form["password"]',
      'pwd: /home/ec2-user',
    ]) {
      assert.equal(redactText(input, SECRETS_ONLY).text, input, input);
    }
  });

  test('counts every occurrence', () => {
    const { redactions } = redactText(`${AWS_KEY_ID} and ${AWS_KEY_ID.replace('EXAMPLE', 'EXAMPL2')}`, SECRETS_ONLY);
    assert.deepEqual(redactions, { 'aws-access-key': 2 });
  });

  test('redacts secrets even when personal data is not requested', () => {
    const { text } = redactText(`mail bob@example.com key ${AWS_KEY_ID}`, SECRETS_ONLY);
    assert.equal(text, 'mail bob@example.com key [REDACTED:aws-access-key]');
  });
});

describe('redactText: personal data', () => {
  const cases: Array<[string, string, string]> = [
    ['email', 'write to jane.doe+news@mail.example.co.uk today', 'write to [REDACTED:email] today'],
    ['phone', 'call +44 20 7946 0958 or (212) 555-0147', 'call [REDACTED:phone] or [REDACTED:phone]'],
    ['phone', 'Tel. +14155550132, 020 7946 0958, 01 99 00 12 34', 'Tel. [REDACTED:phone], [REDACTED:phone], [REDACTED:phone]'],
    ['payment-card', 'card 4111 1111 1111 1111 exp 12/27', 'card [REDACTED:payment-card] exp 12/27'],
    ['payment-card', 'amex 3782-822463-10005.', 'amex [REDACTED:payment-card].'],
    ['iban', 'IBAN GB82 WEST 1234 5698 7654 32 EUR', 'IBAN [REDACTED:iban] EUR'],
    ['iban', 'iban=DE89370400440532013000;', 'iban=[REDACTED:iban];'],
    ['us-ssn', 'SSN 123-45-6789 on file', 'SSN [REDACTED:us-ssn] on file'],
  ];
  for (const [kind, input, expected] of cases) {
    test(`replaces ${kind} in ${JSON.stringify(input)}`, () => {
      assert.equal(redactText(input, ALL).text, expected);
      assert.equal(redactText(input, SECRETS_ONLY).text, input);
    });
  }

  test('leaves look-alikes without a valid checksum or range alone', () => {
    for (const input of [
      'card 4111 1111 1111 1112', // Luhn fails
      'IBAN GB82 WEST 1234 5698 7654 33', // mod 97 fails
      'SSN 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000',
      'timestamp 1717243200123 and 1700000000000',
    ]) {
      assert.equal(redactText(input, ALL).text, input, input);
    }
  });

  test('leaves dates, versions, UUIDs, hashes and addresses alone', () => {
    for (const input of [
      '2024-03-15, 15/03/2024, 03-15-2024, 15.03.2024, 05-06-2023 12:30',
      '2024-03-15T10:22:33.123Z and 2024-03-15T10:22:33+02:00',
      'v1.22.0-rc.1, node 20.19.0, kernel 6.5.0-1022-aws, build 10.0.19045.3803',
      '550e8400-e29b-41d4-a716-446655440000',
      'commit a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
      'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      '192.168.1.100:8443, 10.0.0.0/16, 2001:db8::1',
      'order ORD-2024-004512, invoice INV-000123, AWS account 123456789012',
      'npm i zod@4.6.7; ssh deploy@203.0.113.10',
    ]) {
      assert.equal(redactText(input, ALL).text, input, input);
    }
  });
});

describe('redactText: limits', () => {
  test('refuses text above the limit instead of passing it on', () => {
    const text = 'a'.repeat(MAX_FILTER_TEXT_LENGTH + 1);
    assert.throws(() => redactText(text, ALL), (error: unknown) => error instanceof FilterLimitError && error.reason === 'text-too-long');
  });

  test('filters text right at the limit', () => {
    const text = `${AWS_KEY_ID} `.padEnd(MAX_FILTER_TEXT_LENGTH, 'x');
    assert.equal(redactText(text, ALL).text.startsWith('[REDACTED:aws-access-key] '), true);
  });

  test('the error message carries nothing of the text', () => {
    const text = `${AWS_KEY_ID}`.repeat(MAX_FILTER_TEXT_LENGTH / 10);
    assert.throws(() => redactText(text, ALL), (error: unknown) => error instanceof Error && !error.message.includes('AKIA'));
  });
});

describe('redactToolResult', () => {
  test('redacts text blocks and every string in structured content, keys included', () => {
    const input = {
      content: [{ type: 'text' as const, text: `owner bob@example.com key ${AWS_KEY_ID}` }],
      structuredContent: {
        'bob@example.com': 'key is the address',
        owner: { email: 'bob@example.com', phones: ['+44 20 7946 0958', 42, null, true] },
        token: JWT,
      },
    };
    const { result, redactions } = redactToolResult(input, ALL);
    assert.deepEqual(result, {
      content: [{ type: 'text', text: 'owner [REDACTED:email] key [REDACTED:aws-access-key]' }],
      structuredContent: {
        '[REDACTED:email]': 'key is the address',
        owner: { email: '[REDACTED:email]', phones: ['[REDACTED:phone]', 42, null, true] },
        token: '[REDACTED:jwt]',
      },
    });
    assert.deepEqual(redactions, { email: 3, 'aws-access-key': 1, phone: 1, jwt: 1 });
    assert.equal(input.structuredContent.owner.email, 'bob@example.com', 'the input is not modified');
  });

  test('keeps keys that redact alike apart, and a key named __proto__ a plain key', () => {
    const structuredContent = JSON.parse(
      `{"bob@example.com": 1, "ann@example.com": 2, "__proto__": {"polluted": "${AWS_KEY_ID}"}}`,
    ) as Record<string, unknown>;
    const { result } = redactToolResult({ content: [], structuredContent }, ALL);
    const out = result.structuredContent ?? {};
    assert.deepEqual(Object.keys(out), ['[REDACTED:email]', '[REDACTED:email] 2', '__proto__']);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.equal(JSON.stringify(out), '{"[REDACTED:email]":1,"[REDACTED:email] 2":2,"__proto__":{"polluted":"[REDACTED:aws-access-key]"}}');
  });

  test('filters what toJSON would send', () => {
    const leaky = { toJSON: () => ({ note: `key ${AWS_KEY_ID}` }) };
    const { result } = redactToolResult({ content: [], structuredContent: { leaky, when: new Date(0) } }, SECRETS_ONLY);
    assert.deepEqual(result.structuredContent, { leaky: { note: 'key [REDACTED:aws-access-key]' }, when: '1970-01-01T00:00:00.000Z' });
  });

  test('refuses structured content nested deeper than the limit', () => {
    let deep: Record<string, unknown> = { leaf: 'x' };
    for (let i = 0; i < MAX_FILTER_DEPTH + 1; i++) deep = { next: deep };
    assert.throws(() => redactToolResult({ content: [], structuredContent: deep }, ALL), (error: unknown) => error instanceof FilterLimitError && error.reason === 'too-deep');
  });

  test('refuses an oversized text block', () => {
    const result = { content: [{ type: 'text' as const, text: 'x'.repeat(MAX_FILTER_TEXT_LENGTH + 1) }] };
    assert.throws(() => redactToolResult(result, ALL), FilterLimitError);
  });
});
