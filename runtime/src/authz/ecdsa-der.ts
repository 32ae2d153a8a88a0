/** Bytes of one P-256 scalar (r or s) in a JOSE signature (RFC 7518 §3.4). */
const P256_SCALAR_BYTES = 32;
const SEQUENCE = 0x30;
const INTEGER = 0x02;

/** Thrown when a signature is not a strict DER `ECDSA-Sig-Value` of P-256 scalars. */
export class MalformedSignatureError extends Error {
  override readonly name = 'MalformedSignatureError';
}

/**
 * Reads one DER INTEGER at `offset` as an unsigned scalar of at most 32 bytes.
 *
 * DER rules enforced: short-form length (a P-256 signature never needs the long form), a positive
 * value, minimal encoding (a leading 0x00 only when the next byte has its high bit set), not zero.
 */
function readScalar(der: Uint8Array, offset: number): { value: Uint8Array; next: number } {
  if (der[offset] !== INTEGER) throw new MalformedSignatureError('expected an INTEGER');
  const length = der[offset + 1];
  if (length === undefined || length === 0 || length > P256_SCALAR_BYTES + 1) throw new MalformedSignatureError('INTEGER length out of range');
  const start = offset + 2;
  const end = start + length;
  if (end > der.length) throw new MalformedSignatureError('INTEGER runs past the end');
  let value = der.subarray(start, end);
  if ((value[0]! & 0x80) !== 0) throw new MalformedSignatureError('INTEGER is negative');
  if (value[0] === 0x00 && length > 1) {
    if ((value[1]! & 0x80) === 0) throw new MalformedSignatureError('INTEGER is not minimally encoded');
    value = value.subarray(1);
  }
  if (value.length > P256_SCALAR_BYTES) throw new MalformedSignatureError('INTEGER is larger than a P-256 scalar');
  if (value.every((byte) => byte === 0)) throw new MalformedSignatureError('INTEGER is zero');
  return { value, next: end };
}

/**
 * Converts a DER ECDSA signature (`SEQUENCE { r INTEGER, s INTEGER }`, what AWS KMS `Sign` returns
 * for ECDSA_SHA_256) into the JOSE form of ES256: r and s as 32-byte big-endian numbers, concatenated
 * (RFC 7518 §3.4). Strict: anything but exactly one DER sequence of two P-256 scalars is refused.
 *
 * @throws MalformedSignatureError when `der` is not such a signature.
 */
export function derToJoseSignature(der: Uint8Array): Uint8Array {
  if (der.length < 8 || der[0] !== SEQUENCE) throw new MalformedSignatureError('expected a SEQUENCE');
  const length = der[1]!;
  if (length >= 0x80 || length !== der.length - 2) throw new MalformedSignatureError('SEQUENCE length does not match the signature');
  const r = readScalar(der, 2);
  const s = readScalar(der, r.next);
  if (s.next !== der.length) throw new MalformedSignatureError('bytes follow the SEQUENCE contents');
  const jose = new Uint8Array(2 * P256_SCALAR_BYTES);
  jose.set(r.value, P256_SCALAR_BYTES - r.value.length);
  jose.set(s.value, 2 * P256_SCALAR_BYTES - s.value.length);
  return jose;
}
