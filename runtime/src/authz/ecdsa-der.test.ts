import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { derToJoseSignature, MalformedSignatureError } from './ecdsa-der.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text, 'hex'));
/** DER INTEGER of a big-endian unsigned value, as an encoder writes it (leading 0x00 before a high bit). */
function derInteger(value: Uint8Array): Uint8Array {
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start += 1;
  const body = value.subarray(start);
  const padded = (body[0]! & 0x80) !== 0 ? Uint8Array.from([0, ...body]) : body;
  return Uint8Array.from([0x02, padded.length, ...padded]);
}
function derSignature(r: Uint8Array, s: Uint8Array): Uint8Array {
  const body = [...derInteger(r), ...derInteger(s)];
  return Uint8Array.from([0x30, body.length, ...body]);
}

describe('DER to JOSE ECDSA signatures', () => {
  test('the RFC 6979 A.2.5 P-256/SHA-256 "sample" signature converts to r||s and verifies with its key', () => {
    const r = hex('EFD48B2AACB6A8FD1140DD9CD45E81D69D2C877B56AAF991C34D0EA84EAF3716');
    const s = hex('F7CB1C942D657C41D436C7A1B6E29F65F3E900DBB9AFF4064DC4AB2F843ACDA8');
    const der = derSignature(r, s);
    assert.equal(der.length, 72, 'both scalars have their high bit set, so each carries a 0x00 byte');
    const jose = derToJoseSignature(der);
    assert.deepEqual(jose, Uint8Array.from([...r, ...s]));
    const key = createPublicKey({
      format: 'jwk',
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(hex('60FED4BA255A9D31C961EB74C6356D68C049B8923B61FA6CE669622E60F29FB6')).toString('base64url'),
        y: Buffer.from(hex('7903FE1008B8BC99A41AE9E95628BC64F2F1B20C2D7E9F5177A3C294D4462299')).toString('base64url'),
      },
    });
    assert.ok(verify('sha256', Buffer.from('sample'), { key, dsaEncoding: 'ieee-p1363' }, jose));
  });

  test('every DER signature Node produces converts to one that verifies in the JOSE encoding, short scalars included', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const seen = { long: 0, short: 0 };
    // Each scalar is below 2^248 (one byte short) with probability 1/256: go on until both the
    // 33-byte (0x00-prefixed) and the short form were met, and at least 1000 signatures were checked.
    for (let index = 0; index < 20_000 && (index < 1000 || seen.short === 0 || seen.long === 0); index += 1) {
      const message = Buffer.from(`message ${index}`);
      const der = sign('sha256', message, privateKey);
      const jose = derToJoseSignature(der);
      assert.equal(jose.length, 64);
      assert.ok(verify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose), `signature ${index} verifies`);
      for (const at of [3, 3 + 2 + der[3]!]) {
        if (der[at]! === 33) seen.long += 1;
        if (der[at]! < 32) seen.short += 1;
      }
    }
    assert.ok(seen.long > 0 && seen.short > 0, `both edge forms were converted (${JSON.stringify(seen)})`);
  });

  test('anything but a strict DER sequence of two P-256 scalars is refused', () => {
    const one = new Uint8Array(32).fill(0x11);
    const good = derSignature(one, one);
    assert.equal(derToJoseSignature(good).length, 64);
    const seq = (...body: number[]) => Uint8Array.from([0x30, body.length, ...body]);
    const r = [...derInteger(one)];
    const bad: Record<string, Uint8Array> = {
      empty: new Uint8Array(0),
      'not a sequence': Uint8Array.from([0x31, ...good.subarray(1)]),
      'length too long': Uint8Array.from([0x30, good[1]! + 1, ...good.subarray(2)]),
      truncated: good.subarray(0, good.length - 1),
      'trailing byte': Uint8Array.from([...good, 0]),
      'a third element': seq(...r, ...r, 0x05, 0x00),
      'long-form length': Uint8Array.from([0x30, 0x81, good[1]!, ...good.subarray(2)]),
      'not an integer': seq(0x04, 32, ...one, ...r),
      negative: seq(0x02, 32, 0x91, ...one.subarray(1), ...r),
      'two leading zeros': seq(0x02, 33, 0x00, 0x00, ...one.subarray(2), ...r),
      'a needless leading zero': seq(0x02, 33, 0x00, ...one, ...r),
      'scalar too large': seq(0x02, 33, ...new Uint8Array(33).fill(0x11), ...r),
      zero: seq(0x02, 1, 0x00, ...r),
      'empty integer': seq(0x02, 0, ...r),
      's missing': seq(...r),
    };
    for (const [name, der] of Object.entries(bad)) {
      assert.throws(() => derToJoseSignature(der), MalformedSignatureError, name);
    }
  });
});
