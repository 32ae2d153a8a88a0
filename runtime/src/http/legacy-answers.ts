/**
 * The answers a 2025-era client posts to the server's own requests (elicitation, sampling, roots)
 * are untrusted input. Each is checked here before the waiting handler sees it: the SDK's schema for
 * the result of the method that was asked, a size bound, and for an accepted elicitation the content
 * against the schema the server requested (known fields only, each of its declared type, bounds,
 * formats and options; required fields present). A client's error answer never passes on its text.
 */
import { specTypeSchemas } from '@modelcontextprotocol/server';
import { z } from 'zod';

/** The server-to-client requests a 2025-era tool may make. */
export type InputMethod = 'elicitation/create' | 'sampling/createMessage' | 'roots/list';

export const INPUT_METHODS: ReadonlySet<string> = new Set<InputMethod>(['elicitation/create', 'sampling/createMessage', 'roots/list']);

/** Largest answer accepted, serialized (it may travel through the session table to another instance). */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** Most roots a client may list. */
const MAX_ROOTS = 256;

/** What the waiting server is handed: a checked result, or an error with a fixed message. */
export type CheckedAnswer = { readonly result: Record<string, unknown> } | { readonly error: { readonly code: number; readonly message: string } };

/** The fixed error texts the waiting handler can see; none carries anything the client sent. */
export const ANSWER_ERRORS = {
  invalid: { code: -32602, message: 'The client answered with a result that is not valid for the request.' },
  refused: { code: -32603, message: 'The client answered the request with an error.' },
  timeout: { code: -32001, message: 'The client did not answer in time.' },
  ended: { code: -32001, message: 'The session or connection ended before the client answered.' },
  tooMany: { code: -32603, message: 'Too many requests to the client are pending.' },
  blocked: { code: -32603, message: 'The request to the client was withheld by the output filter.' },
  unavailable: { code: -32603, message: 'The request to the client could not be recorded.' },
} as const;

type PropertySchema = Record<string, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function stringsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? (value as string[]) : undefined;
}

/** The option values of an enum schema: `enum`, or the `const` of each `oneOf`/`anyOf` entry. */
function optionsOf(schema: PropertySchema): string[] | undefined {
  const listed = stringsOf(schema.enum);
  if (listed) return listed;
  const titled = Array.isArray(schema.oneOf) ? schema.oneOf : Array.isArray(schema.anyOf) ? schema.anyOf : undefined;
  if (!titled) return undefined;
  const values = titled.map((entry) => (isObject(entry) && typeof entry.const === 'string' ? entry.const : undefined));
  return values.every((value) => value !== undefined) ? (values as string[]) : undefined;
}

function numberBound(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

const FORMATS: Readonly<Record<string, z.ZodType<string>>> = {
  email: z.email(),
  uri: z.url(),
  date: z.iso.date(),
  'date-time': z.iso.datetime({ offset: true }),
};

/** The zod schema of one field of a requested elicitation schema; `undefined` for a shape MCP does not define. */
function fieldSchema(schema: unknown): z.ZodType | undefined {
  if (!isObject(schema)) return undefined;
  switch (schema.type) {
    case 'string': {
      const options = optionsOf(schema);
      if (options) return options.length > 0 ? z.enum(options as [string, ...string[]]) : undefined;
      let field = z.string();
      const min = numberBound(schema.minLength);
      const max = numberBound(schema.maxLength);
      if (min !== undefined) field = field.min(min);
      if (max !== undefined) field = field.max(max);
      const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
      return format ? field.refine((value) => format.safeParse(value).success) : field;
    }
    case 'number':
    case 'integer': {
      let field = schema.type === 'integer' ? z.number().int() : z.number();
      const min = numberBound(schema.minimum);
      const max = numberBound(schema.maximum);
      if (min !== undefined) field = field.min(min);
      if (max !== undefined) field = field.max(max);
      return field;
    }
    case 'boolean':
      return z.boolean();
    case 'array': {
      const options = isObject(schema.items) ? optionsOf(schema.items) : undefined;
      if (!options || options.length === 0) return undefined;
      let field = z.array(z.enum(options as [string, ...string[]])).refine((values) => new Set(values).size === values.length);
      const min = numberBound(schema.minItems);
      const max = numberBound(schema.maxItems);
      if (min !== undefined || max !== undefined) {
        field = field.refine((values) => (min === undefined || values.length >= min) && (max === undefined || values.length <= max));
      }
      return field;
    }
    default:
      return undefined;
  }
}

/**
 * A strict zod object for the `requestedSchema` of a form elicitation: unknown keys refused, each
 * field as declared, `required` fields present. `undefined` when the schema is not one MCP defines
 * (the server's own request, so that is a bug, and the answer is refused).
 */
export function requestedContentSchema(requested: unknown): z.ZodType | undefined {
  if (!isObject(requested) || requested.type !== 'object' || !isObject(requested.properties)) return undefined;
  const required = new Set(stringsOf(requested.required ?? []) ?? []);
  const shape: Record<string, z.ZodType> = {};
  for (const [name, property] of Object.entries(requested.properties)) {
    const field = fieldSchema(property);
    if (!field) return undefined;
    shape[name] = required.has(name) ? field : field.optional();
  }
  return z.strictObject(shape);
}

function parsed(schema: { '~standard': { validate: (value: unknown) => unknown } }, value: unknown): Record<string, unknown> | undefined {
  const outcome = schema['~standard'].validate(value) as { issues?: unknown; value?: unknown };
  return outcome.issues === undefined && isObject(outcome.value) ? outcome.value : undefined;
}

/**
 * Checks one JSON-RPC answer of the client to `method` (sent with `params`): its size, the SDK's
 * result schema, and for an accepted form elicitation the content against the requested schema.
 * A client error becomes a fixed error; nothing the client wrote in it is kept.
 */
export function checkAnswer(method: InputMethod, params: unknown, answer: { result?: unknown; error?: unknown }): CheckedAnswer {
  if (answer.error !== undefined) return { error: ANSWER_ERRORS.refused };
  const size = Buffer.byteLength(JSON.stringify(answer.result ?? null), 'utf8');
  if (size > MAX_ANSWER_BYTES) return { error: ANSWER_ERRORS.invalid };
  switch (method) {
    case 'elicitation/create': {
      const result = parsed(specTypeSchemas.ElicitResult, answer.result);
      if (!result) return { error: ANSWER_ERRORS.invalid };
      if (result.action !== 'accept') return { result: { action: result.action } };
      const mode = isObject(params) ? params.mode : undefined;
      if (mode === 'url') return result.content === undefined ? { result: { action: 'accept' } } : { error: ANSWER_ERRORS.invalid };
      const schema = requestedContentSchema(isObject(params) ? params.requestedSchema : undefined);
      const content = schema?.safeParse(result.content ?? {});
      if (!content?.success) return { error: ANSWER_ERRORS.invalid };
      return { result: { action: 'accept', content: content.data as Record<string, unknown> } };
    }
    case 'sampling/createMessage': {
      const withTools = isObject(params) && params.tools !== undefined;
      const result = parsed(withTools ? specTypeSchemas.CreateMessageResultWithTools : specTypeSchemas.CreateMessageResult, answer.result);
      return result ? { result } : { error: ANSWER_ERRORS.invalid };
    }
    case 'roots/list': {
      const result = parsed(specTypeSchemas.ListRootsResult, answer.result);
      if (!result || !Array.isArray(result.roots) || result.roots.length > MAX_ROOTS) return { error: ANSWER_ERRORS.invalid };
      const roots = result.roots as Array<{ uri: unknown }>;
      if (!roots.every((root) => typeof root.uri === 'string' && root.uri.startsWith('file://') && URL.canParse(root.uri))) return { error: ANSWER_ERRORS.invalid };
      return { result };
    }
  }
}
