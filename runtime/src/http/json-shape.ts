/**
 * A bound on the shape of a whole JSON-RPC body, checked on the raw bytes before `JSON.parse` and
 * before anything (the SDK's schemas, the direct path, the credential check) walks the result.
 *
 * One pass over the bytes, no allocation but for a key that carries escapes: strings are skipped
 * with `indexOf` (native), structure is counted byte by byte, so the cost is linear in the body's
 * size whatever its shape. The scanner does not validate JSON (`JSON.parse` still does); on
 * malformed input its counts are upper bounds of what a parse could produce, which is what matters.
 */

/** Limits on one request body (a single message or a whole batch). */
export interface MessageShapeLimits {
  /** Deepest nesting of objects and arrays. */
  readonly depth: number;
  /** Values of any kind (objects, arrays, strings, numbers, literals), keys not counted. */
  readonly values: number;
  /** Object members (keys), `_meta` and `arguments` included. */
  readonly members: number;
  /** Longest key, in bytes as sent (escapes count as written). */
  readonly keyBytes: number;
  /** Longest string value, in bytes as sent. */
  readonly stringBytes: number;
}

/**
 * The kit's limits. Tool arguments alone may hold 5,000 values nested 12 deep (see
 * `ARGUMENT_LIMITS`); the whole body gets that plus room for the envelope, `_meta` and a small batch.
 * Depth is looser than the arguments' own limit, so arguments a little too deep still get the
 * tool's own answer naming the limit.
 */
export const MESSAGE_SHAPE_LIMITS: MessageShapeLimits = {
  depth: 64,
  values: 6_000,
  members: 6_000,
  keyBytes: 256,
  stringBytes: 256 * 1024,
};

/** Which limit a body broke; `prototype_key` is a `__proto__` key, which the two paths cannot treat alike. */
export type ShapeProblem = 'depth' | 'values' | 'members' | 'key' | 'string' | 'prototype_key';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
const PROTO = Buffer.from('__proto__');

// Bytes that may start a number or a literal (true, false, null).
const SCALAR_START = new Uint8Array(256);
for (const char of '-0123456789tfn') SCALAR_START[char.charCodeAt(0)] = 1;
// Bytes that may continue one.
const SCALAR_PART = new Uint8Array(256);
for (const char of '-+.0123456789eEtrufalsn') SCALAR_PART[char.charCodeAt(0)] = 1;

/** Index of the quote that closes the string opened at `start`, or `-1`. */
function closingQuote(raw: Uint8Array, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = raw.indexOf(QUOTE, at);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let back = quote - 1; back > start && raw[back] === BACKSLASH; back -= 1) backslashes += 1;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

function isPrototypeKey(raw: Uint8Array, start: number, end: number): boolean {
  const length = end - start - 1;
  // Keys are short (checked against keyBytes first): a loop over the key, never a search past it.
  let escaped = false;
  for (let index = start + 1; index < end; index += 1) if (raw[index] === BACKSLASH) escaped = true;
  if (!escaped) {
    if (length !== PROTO.length) return false;
    for (let index = 0; index < length; index += 1) if (raw[start + 1 + index] !== PROTO[index]) return false;
    return true;
  }
  // A key with escapes (`"\u005f_proto__"`) decodes before it is compared; keys are short (see keyBytes).
  try {
    return JSON.parse(Buffer.from(raw.buffer, raw.byteOffset + start, length + 2).toString('utf8')) === '__proto__';
  } catch {
    return false;
  }
}

/**
 * The first limit `raw` (a UTF-8 JSON body) breaks, or `undefined` when it is within all of them.
 *
 * @example
 * messageShapeProblem(Buffer.from('{"a":[[[[1]]]]}'), { ...MESSAGE_SHAPE_LIMITS, depth: 3 }) // 'depth'
 */
export function messageShapeProblem(raw: Uint8Array, limits: MessageShapeLimits = MESSAGE_SHAPE_LIMITS): ShapeProblem | undefined {
  // isObject[d] says whether the container at depth d is an object (keys expected after '{' and ',').
  const isObject = new Uint8Array(limits.depth + 2);
  let depth = 0;
  let values = 0;
  let members = 0;
  let expectKey = false;
  let inScalar = false;
  const length = raw.length;
  for (let index = 0; index < length; index += 1) {
    const byte = raw[index]!;
    if (byte === QUOTE) {
      inScalar = false;
      const end = closingQuote(raw, index);
      const stop = end < 0 ? length : end;
      const size = stop - index - 1;
      if (expectKey) {
        expectKey = false;
        members += 1;
        if (members > limits.members) return 'members';
        if (size > limits.keyBytes) return 'key';
        if (end >= 0 && isPrototypeKey(raw, index, end)) return 'prototype_key';
      } else {
        values += 1;
        if (values > limits.values) return 'values';
        if (size > limits.stringBytes) return 'string';
      }
      index = stop;
      continue;
    }
    if (SCALAR_PART[byte] === 1) {
      if (!inScalar && SCALAR_START[byte] === 1) {
        inScalar = true;
        values += 1;
        if (values > limits.values) return 'values';
      }
      continue;
    }
    inScalar = false;
    switch (byte) {
      case OPEN_OBJECT:
      case OPEN_ARRAY:
        depth += 1;
        if (depth > limits.depth) return 'depth';
        values += 1;
        if (values > limits.values) return 'values';
        isObject[depth] = byte === OPEN_OBJECT ? 1 : 0;
        expectKey = byte === OPEN_OBJECT;
        break;
      case CLOSE_OBJECT:
      case CLOSE_ARRAY:
        if (depth > 0) depth -= 1;
        expectKey = false;
        break;
      case COMMA:
        expectKey = isObject[depth] === 1;
        break;
      case COLON:
        expectKey = false;
        break;
      default:
        break;
    }
  }
  return undefined;
}
