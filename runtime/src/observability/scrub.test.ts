import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { looksLikeToken, MAX_LOGGED_STRING, REDACTED, scrubbingReplacer, scrubSecrets } from './scrub.js';

const JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJ1c2VyLTEiLCJhdWQiOiJodHRwczovL21jcCJ9.c2lnbmF0dXJlLWJ5dGVz';
const JWE = 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.OKOawDo13gRp2ojaHV7LFpZcgV7T6DVZKTyKOMTYUmKoTCVJRgckCL9kiMT03JGe.48V1_ALb6US04U3b.5eym8TW_c8SuK0ltJ3rpYIzOeDQz7TALvtu6UG9oMo4vpzs9tX_EFShS8iB7j6ji.XFBoMYUZodetZdvTiFvSkQ';

describe('scrubSecrets', () => {
  test('replaces JWTs wherever they stand', () => {
    assert.equal(scrubSecrets(JWT), REDACTED);
    assert.equal(scrubSecrets(`token=${JWT}&x=1`), `token=${REDACTED}&x=1`);
    assert.equal(scrubSecrets(`{"authorization":"${JWT}"}`), `{"authorization":"${REDACTED}"}`);
    assert.equal(scrubSecrets(`a ${JWE} b`), `a ${REDACTED} b`);
    assert.equal(scrubSecrets('eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.'), REDACTED, 'an unsigned token too');
  });

  test('replaces Bearer credentials, case-insensitively, including padded and opaque ones', () => {
    assert.equal(scrubSecrets('Authorization: Bearer abc123.def-456_ghi'), `Authorization: ${REDACTED}`);
    assert.equal(scrubSecrets('authorization: bearer dGVzdA=='), `authorization: ${REDACTED}`);
    assert.equal(scrubSecrets('["BEARER  opaque~token+/x"]'), `["${REDACTED}"]`);
    assert.equal(scrubSecrets(`{"h":"Bearer ${JWT}"}`), `{"h":"${REDACTED}"}`);
  });

  test('leaves challenges, trace ids, paths and ordinary text alone', () => {
    for (const text of [
      'Bearer error="invalid_token", error_description="expired"',
      'Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"',
      'Bearer realm=mcp',
      '1-5759e988-bd862e3fe1be46a994272793',
      'at invokeTool (/app/runtime/src/tools/invoke.ts:170:12)',
      'the key eyJ is not a token on its own: eyJ.x',
      '',
    ]) {
      assert.equal(scrubSecrets(text), text);
      assert.equal(looksLikeToken(text), false);
    }
  });

  test('runs in linear time on hostile input', () => {
    const hostile = [
      'eyJ'.repeat(400_000),
      `${'eyJa.'.repeat(200_000)}`,
      `bearer ${'a'.repeat(1_000_000)}="`,
      'bearer '.repeat(200_000),
      `Bearer ${' '.repeat(1_000_000)}`,
      'x'.repeat(1_000_000),
    ];
    for (const text of hostile) {
      const started = performance.now();
      scrubSecrets(text);
      const elapsed = performance.now() - started;
      // A quadratic pattern needs ~10^11 steps here; linear ones finish in milliseconds.
      assert.ok(elapsed < 1500, `${text.slice(0, 12)}… took ${elapsed.toFixed(0)} ms`);
    }
  });
});

describe('scrubbingReplacer', () => {
  test('scrubs nested values and keys, and cuts very long strings', () => {
    const record = { headers: { authorization: `Bearer ${JWT}` }, list: [JWT, 'ok'], [JWT]: 'key was a token', long: 'x'.repeat(MAX_LOGGED_STRING + 10) };
    const text = JSON.stringify(record, scrubbingReplacer);
    assert.equal(text.includes('eyJ'), false);
    assert.equal(/bearer\s/i.test(text), false);
    const parsed = JSON.parse(text) as { headers: { authorization: string }; list: string[]; long: string; [REDACTED]: string };
    assert.equal(parsed.headers.authorization, REDACTED);
    assert.deepEqual(parsed.list, [REDACTED, 'ok']);
    assert.equal(parsed[REDACTED], 'key was a token');
    assert.equal(parsed.long, `${'x'.repeat(MAX_LOGGED_STRING)}…[truncated]`);
  });
});
