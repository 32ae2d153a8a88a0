/**
 * The SDK's error messages can carry what the client sent: a header value (`Mcp-Method`), a method
 * or prompt name, a raw zod issue dump. Every JSON-RPC error the SDK answers passes through here on
 * its way out and leaves with a fixed message for its code; only messages the kit writes itself,
 * which are known to hold no attacker text (`publicErrorText`, and the patterns below), are kept.
 * `data` is dropped, except what an unsupported-version error carries (the supported versions, the
 * server's own values, and the requested one when it is shaped like a version) and the `uri` of a
 * resource-not-found error, which the protocol asks for (kept only as printable ASCII that parses as a URL).
 */
import { isPublicErrorText } from '../errors/index.js';
import { PROTOCOL_VERSIONS } from '../tools/mcp-server.js';

const FIXED_MESSAGES: Readonly<Record<number, string>> = {
  [-32700]: 'Parse error.',
  [-32600]: 'Invalid request.',
  [-32601]: 'Method not found.',
  [-32602]: 'Invalid params.',
  [-32603]: 'Internal error.',
  [-32002]: 'Resource not found.',
  [-32021]: 'Missing required client capability.',
};

/** The SDK's frozen answer to a refused `requestState`: its fixed message and data are kept as they are. */
const REQUEST_STATE_REFUSED = 'Invalid or expired requestState';
/** Client capabilities a `-32021` answer may name, with the sub-capabilities repeated (each as `{}`). */
const CLIENT_CAPABILITY_NAMES: Readonly<Record<string, readonly string[]>> = {
  elicitation: ['form', 'url'],
  sampling: ['tools', 'context'],
  roots: [],
};

/** The `requiredCapabilities` of a `-32021` answer, rebuilt from the names above only (values are never copied). */
function safeCapabilities(value: unknown): Record<string, Record<string, object>> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: Record<string, Record<string, object>> = {};
  for (const [name, subs] of Object.entries(CLIENT_CAPABILITY_NAMES)) {
    const given = (value as Record<string, unknown>)[name];
    if (!given || typeof given !== 'object' || Array.isArray(given)) continue;
    out[name] = Object.fromEntries(subs.filter((sub) => Object.hasOwn(given, sub)).map((sub) => [sub, {}]));
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Messages the kit's own handlers write (names reduced to `[\w.?-]`, at most 64 characters). */
const KIT_MESSAGES: readonly RegExp[] = [/^Unknown tool: [\w.?-]{0,64}$/];

const KNOWN_VERSIONS: ReadonlySet<string> = new Set(PROTOCOL_VERSIONS);
const VERSION_SHAPE = /^[0-9A-Za-z.-]{1,32}$/;

export interface JsonRpcErrorObject {
  code?: unknown;
  message?: unknown;
  data?: unknown;
}

/** A URI that the protocol's resource-not-found error repeats: printable ASCII, bounded, and a URL by the platform's parser. */
function safeUri(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > 2_048 || /[^\x21-\x7E]/.test(uri)) return undefined;
  return URL.canParse(uri) ? uri : undefined;
}

function safeData(data: unknown): unknown {
  if (!data || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const { supported, requested, uri } = data as { supported?: unknown; requested?: unknown; uri?: unknown };
  const resourceUri = safeUri(uri);
  if (resourceUri !== undefined && supported === undefined) return { uri: resourceUri };
  if (!Array.isArray(supported) || !supported.every((version) => typeof version === 'string' && KNOWN_VERSIONS.has(version))) return undefined;
  // The requested revision is part of the answer the protocol defines; only a version-shaped one is repeated.
  return typeof requested === 'string' && VERSION_SHAPE.test(requested) ? { supported, requested } : { supported };
}

function safeError(error: JsonRpcErrorObject, correlationId: string): Record<string, unknown> {
  const code = typeof error.code === 'number' && Number.isSafeInteger(error.code) ? error.code : -32603;
  if (code === -32602 && error.message === REQUEST_STATE_REFUSED) return { code, message: REQUEST_STATE_REFUSED, data: { reason: 'invalid_request_state' } };
  if (code === -32021) {
    const required = safeCapabilities((error.data as { requiredCapabilities?: unknown } | undefined)?.requiredCapabilities);
    return { code, message: FIXED_MESSAGES[code]!, ...(required ? { data: { requiredCapabilities: required } } : {}) };
  }
  const own =
    typeof error.message === 'string' && (isPublicErrorText(error.message) || KIT_MESSAGES.some((pattern) => pattern.test(error.message as string)));
  const data = safeData(error.data);
  const notFound = data !== undefined && 'uri' in (data as object);
  let message = own ? (error.message as string) : notFound ? 'Resource not found.' : (FIXED_MESSAGES[code] ?? 'Request failed.');
  if (code === -32603) message = `Internal error. Correlation id: ${correlationId}.`;
  return { code, message, ...(data === undefined ? {} : { data }) };
}

/**
 * One JSON-RPC error response as it leaves the SDK path (`{ jsonrpc, id, error }`, the SDK's key
 * order), serialized with its error made safe exactly as `safeSdkResponse` makes it: for answers
 * the kit encodes itself in place of the SDK's (see `direct-capabilities.ts`).
 */
export function safeErrorMessage(id: string | number, error: JsonRpcErrorObject, correlationId: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: safeError(error, correlationId) });
}

/**
 * The JSON-RPC message(s) in `text` with every error made safe, or `undefined` when nothing changes.
 * An internal error answering a request in `invalidParams` becomes invalid params (see `malformedParamsIds`).
 */
function sanitizeMessages(text: string, correlationId: string, invalidParams?: ReadonlySet<unknown>): string | undefined {
  if (!text.includes('"error"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  let changed = false;
  const fix = (message: unknown): unknown => {
    if (!message || typeof message !== 'object' || Array.isArray(message)) return message;
    const { error } = message as { error?: unknown };
    if (!error || typeof error !== 'object') return message;
    changed = true;
    const { id } = message as { id?: unknown };
    if (invalidParams?.has(id) && (error as JsonRpcErrorObject).code === -32603) return { ...message, error: { code: -32602, message: FIXED_MESSAGES[-32602] } };
    return { ...message, error: safeError(error as JsonRpcErrorObject, correlationId) };
  };
  const fixed = Array.isArray(parsed) ? parsed.map(fix) : fix(parsed);
  return changed ? JSON.stringify(fixed) : undefined;
}

/** Rewrites the `data:` lines of one SSE event. */
function sanitizeEvent(event: string, correlationId: string, invalidParams?: ReadonlySet<unknown>): string {
  if (!event.includes('"error"')) return event;
  return event
    .split('\n')
    .map((line) => {
      if (!line.startsWith('data:')) return line;
      const payload = line.slice(line.startsWith('data: ') ? 6 : 5);
      const fixed = sanitizeMessages(payload, correlationId, invalidParams);
      return fixed === undefined ? line : `data: ${fixed}`;
    })
    .join('\n');
}

/** An SSE stream whose events carry only safe errors; events pass one by one, nothing is held back longer. */
function sanitizeEventStream(body: ReadableStream<Uint8Array>, correlationId: string, invalidParams?: ReadonlySet<unknown>): ReadableStream<Uint8Array> {
  const decoder = new TextDecoder();
  const encoder = new TextEncoder();
  let pending = '';
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        pending += decoder.decode(chunk, { stream: true });
        let end = pending.indexOf('\n\n');
        while (end >= 0) {
          controller.enqueue(encoder.encode(`${sanitizeEvent(pending.slice(0, end), correlationId, invalidParams)}\n\n`));
          pending = pending.slice(end + 2);
          end = pending.indexOf('\n\n');
        }
      },
      flush(controller) {
        pending += decoder.decode();
        if (pending.length > 0) controller.enqueue(encoder.encode(sanitizeEvent(pending, correlationId, invalidParams)));
      },
    }),
  );
}

function mediaType(value: string | null): string {
  return (value ?? '').split(';', 1)[0]!.trim().toLowerCase();
}

/**
 * The SDK's `response` with every JSON-RPC error in it made safe (see the module comment). JSON
 * bodies are read whole (they are complete documents); SSE bodies are rewritten event by event.
 * Answers without an error keep their bytes. `invalidParams`: the ids of a batch's requests with
 * malformed params (`malformedParamsIds`), whose internal errors are answered as invalid params.
 */
export async function safeSdkResponse(response: Response, correlationId: string, invalidParams?: ReadonlySet<string | number>): Promise<Response> {
  if (response.body === null) return response;
  const type = mediaType(response.headers.get('content-type'));
  if (type === 'application/json') {
    const text = await response.text();
    const fixed = sanitizeMessages(text, correlationId, invalidParams);
    const headers = new Headers(response.headers);
    headers.delete('content-length');
    return new Response(fixed ?? text, { status: response.status, headers });
  }
  if (type === 'text/event-stream') {
    return new Response(sanitizeEventStream(response.body, correlationId, invalidParams), { status: response.status, headers: response.headers });
  }
  return response;
}
