/**
 * Tool parameters mirrored into HTTP headers (SEP-2243, 2026-07-28): a property of a tool's input
 * schema annotated `x-mcp-header: <Name>` is sent by the client both in the arguments and in the
 * header `Mcp-Param-<Name>`, so that gateways can route on it without reading the body. The server
 * must check that the two agree; a header may carry its value as `=?base64?<canonical base64>?=`.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** One mirrored parameter: where it sits in the arguments and which header carries it. */
export interface ParamHeader {
  /** Property names from the arguments object down to the parameter. */
  readonly path: readonly string[];
  /** The header's full name, `Mcp-Param-<Name>`. */
  readonly header: string;
  readonly type: 'string' | 'integer' | 'boolean';
}

const ANNOTATION = 'x-mcp-header';
/** RFC 9110 `token`: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TYPES: ReadonlySet<string> = new Set(['string', 'integer', 'boolean']);
/** Keywords under which the annotation is not allowed: only a chain of `properties` may lead to it. */
const ELSEWHERE = ['items', 'prefixItems', 'contains', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'propertyNames', 'patternProperties', 'dependentSchemas', 'oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', '$defs', 'definitions'];
const BASE64_CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function mentionsAnnotation(node: unknown): boolean {
  return JSON.stringify(node ?? null).includes(`"${ANNOTATION}"`);
}

/**
 * The mirrored parameters a tool's JSON input schema declares, checked as the protocol requires:
 * the annotation only on a property reached through `properties` alone, a non-empty RFC 9110 token,
 * on a string, integer or boolean, and unique ignoring case.
 *
 * @throws Error naming the fault when the schema breaks one of these rules (checked at start-up).
 */
export function paramHeadersOf(inputSchema: Record<string, unknown>): readonly ParamHeader[] {
  const found: ParamHeader[] = [];
  const names = new Set<string>();
  const visit = (node: Record<string, unknown>, path: readonly string[]): void => {
    for (const keyword of ELSEWHERE) {
      if (mentionsAnnotation(node[keyword])) throw new Error(`${ANNOTATION} is only allowed on properties reached through "properties" (found under "${keyword}")`);
    }
    if (ANNOTATION in node) {
      const name = node[ANNOTATION];
      const type = node.type;
      if (path.length === 0) throw new Error(`${ANNOTATION} is not allowed on the arguments object itself`);
      if (typeof name !== 'string' || !TOKEN.test(name)) throw new Error(`${ANNOTATION} of "${path.join('.')}" must be an HTTP token`);
      if (typeof type !== 'string' || !TYPES.has(type)) throw new Error(`${ANNOTATION} of "${path.join('.')}" must be on a string, integer or boolean`);
      if (names.has(name.toLowerCase())) throw new Error(`${ANNOTATION} "${name}" is declared twice (names are compared ignoring case)`);
      names.add(name.toLowerCase());
      found.push({ path, header: `Mcp-Param-${name}`, type: type as ParamHeader['type'] });
    }
    if (isRecord(node.properties)) {
      for (const [key, child] of Object.entries(node.properties)) if (isRecord(child)) visit(child, [...path, key]);
    }
  };
  visit(inputSchema, []);
  return found;
}

/** A header value as the client encoded it: plain, or `=?base64?…?=` (canonical base64 of UTF-8); `undefined` when that encoding is broken. */
function decoded(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const payload = value.slice('=?base64?'.length, -'?='.length);
  if (!BASE64_CANONICAL.test(payload)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(payload, 'base64'));
  } catch {
    return undefined;
  }
}

function valueAt(args: unknown, path: readonly string[]): unknown {
  let node = args;
  for (const key of path) node = isRecord(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return node;
}

function agrees(header: string, body: unknown, type: ParamHeader['type']): boolean {
  if (typeof body === 'number') return type === 'integer' && DECIMAL.test(header) ? Number(header) === body : header === String(body);
  if (typeof body === 'boolean') return header === String(body);
  return header === body;
}

/**
 * The first mirrored parameter whose header disagrees with the arguments: absent while the argument
 * is present, broken base64, or another value. A parameter absent (or `null`) in the arguments needs
 * no header. Returns the header's name (the server's own, never the client's value), or `undefined`.
 */
export function mismatchedParamHeader(declared: readonly ParamHeader[], args: unknown, headers: IncomingHttpHeaders): string | undefined {
  for (const { path, header, type } of declared) {
    const body = valueAt(args, path);
    if (body === undefined || body === null || (typeof body === 'object')) continue;
    const raw = headers[header.toLowerCase()];
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    if (value === undefined) return header;
    const text = decoded(value.trim());
    if (text === undefined || !agrees(text, body, type)) return header;
  }
  return undefined;
}
