/** A request target, reduced to what the server routes on. */
export interface RequestTarget {
  /** Path and query in origin form (`/mcp?x=1`), what the rest of the server sees as `req.url`. */
  readonly path: string;
  /** The decoded path alone. */
  readonly pathname: string;
  /** The authority of an absolute-form target (`host[:port]`), which then stands for the Host header. */
  readonly authority?: string;
}

const BASE = 'http://origin.invalid';

/** Origin-form targets remembered (the MCP path, the health paths): their parse is the same every time. */
const REMEMBERED_TARGETS = 64;
/** Longest target remembered; the query string is never part of one (it is not parsed from a cache). */
const REMEMBERED_LENGTH = 128;
// Raw target → its result, insertion-ordered, the oldest dropped past the bound: at most 64 × 128 characters.
const remembered = new Map<string, RequestTarget | undefined>();

/**
 * Reads an HTTP request target (RFC 9112, section 3.2): origin form (`/mcp`) or absolute form
 * (`http://host/mcp`), parsed with `URL`. Returns `undefined` for anything else (authority form,
 * asterisk form, another scheme, a target `URL` cannot parse), which the server answers with 400.
 *
 * @example
 * requestTarget('http://evil.example/mcp') // { path: '/mcp', pathname: '/mcp', authority: 'evil.example' }
 */
export function requestTarget(raw: string | undefined): RequestTarget | undefined {
  if (raw === undefined || raw.length === 0) return undefined;
  // A pure function of the string: a client sending the same short path again gets the same answer.
  if (raw.length > REMEMBERED_LENGTH || raw.charCodeAt(0) !== 0x2f || raw.includes('?')) return parseTarget(raw);
  if (remembered.has(raw)) return remembered.get(raw);
  const target = parseTarget(raw);
  if (remembered.size >= REMEMBERED_TARGETS) remembered.delete(remembered.keys().next().value!);
  remembered.set(raw, target === undefined ? undefined : Object.freeze(target));
  return target;
}

/** How many targets are remembered (for tests). */
export function rememberedTargets(): number {
  return remembered.size;
}

function parseTarget(raw: string): RequestTarget | undefined {
  try {
    if (raw.startsWith('/')) {
      // Appended to a fixed origin, never resolved against it: '//host/path' stays a path.
      const url = new URL(`${BASE}${raw}`);
      if (url.origin !== BASE) return undefined;
      return { path: raw, pathname: url.pathname };
    }
    const url = new URL(raw);
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username !== '' || url.password !== '' || url.host === '') return undefined;
    return { path: `${url.pathname}${url.search}`, pathname: url.pathname, authority: url.host };
  } catch {
    return undefined;
  }
}
