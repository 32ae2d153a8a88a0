/**
 * What a caller is told when tool arguments fail their schema: for each zod issue, the field and a
 * rule the caller can act on ("text is required", "limit must be at most 10"), built from the
 * schema only. Nothing the caller sent is repeated: not a value, not an unknown key, not a record
 * key in a path (the names printed are the ones the schema declares).
 */
import { z } from 'zod';

type RawIssue = z.core.$ZodRawIssue;

/** At most this many issues are described in one answer. */
export const MAX_DESCRIBED_ISSUES = 10;
const MAX_LISTED = 12;
const MAX_QUOTED = 40;
const MAX_AUTHOR_MESSAGE = 160;

function article(kind: string): string {
  return /^[aeiou]/.test(kind) ? `an ${kind}` : `a ${kind}`;
}

/** How a JSON value's type is named to the caller (the type only, never the value). */
function typeName(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : Number.isInteger(value) ? 'a whole number' : 'a number';
  if (typeof value === 'boolean') return 'true or false';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'object') return 'an object';
  return article(typeof value);
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  tuple: 'a list',
  object: 'an object',
  record: 'an object',
  null: 'null',
  date: 'a date',
};

const FORMATS: Record<string, string> = {
  email: 'must be an e-mail address',
  url: 'must be a URL',
  uuid: 'must be a UUID',
  guid: 'must be a GUID',
  datetime: 'must be a date and time in ISO 8601 form, e.g. 2026-07-28T09:30:00Z',
  date: 'must be a date in ISO 8601 form, e.g. 2026-07-28',
  time: 'must be a time in ISO 8601 form, e.g. 09:30:00',
  duration: 'must be an ISO 8601 duration, e.g. PT5M',
  ipv4: 'must be an IPv4 address',
  ipv6: 'must be an IPv6 address',
  cidrv4: 'must be an IPv4 range in CIDR form',
  cidrv6: 'must be an IPv6 range in CIDR form',
  base64: 'must be base64-encoded',
  base64url: 'must be base64url-encoded',
  lowercase: 'must be in lower case',
  uppercase: 'must be in upper case',
  e164: 'must be a phone number in E.164 form, e.g. +14155550134',
};

/** A schema value (an enum member, a prefix) quoted for a message: it comes from code, but is kept short. */
function quote(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value) : String(value);
}

function list(values: readonly string[], conjunction: 'or' | 'and' = 'or'): string {
  const shown = values.slice(0, MAX_LISTED);
  const more = values.length > shown.length ? ` (and ${values.length - shown.length} more)` : '';
  if (shown.length <= 1) return `${shown.join('')}${more}`;
  return `${shown.slice(0, -1).join(', ')} ${conjunction} ${shown.at(-1)}${more}`;
}

function bound(issue: { origin: string; exact?: boolean; inclusive?: boolean }, limit: number | bigint | Date, side: 'most' | 'least'): string {
  const amount = limit instanceof Date ? limit.toISOString() : String(limit);
  switch (issue.origin) {
    case 'string':
      if (issue.exact) return `must be exactly ${amount} characters`;
      if (side === 'least' && Number(limit) === 1) return 'must not be empty';
      return `must be at ${side} ${amount} characters`;
    case 'array':
    case 'set':
    case 'map':
      if (issue.exact) return `must have exactly ${amount} items`;
      if (side === 'least' && Number(limit) === 1) return 'must not be empty';
      return `must have at ${side} ${amount} items`;
    case 'file':
      return `must be at ${side} ${amount} bytes`;
    case 'date':
      return side === 'most' ? `must be on or before ${amount}` : `must be on or after ${amount}`;
    default:
      if (issue.inclusive === false) return side === 'most' ? `must be less than ${amount}` : `must be greater than ${amount}`;
      return `must be at ${side} ${amount}`;
  }
}

interface SchemaInternals {
  readonly _zod?: { readonly def?: { readonly type?: string; readonly shape?: Record<string, unknown>; readonly options?: readonly unknown[] } };
}

function defOf(schema: unknown): { type?: string; shape?: Record<string, unknown>; options?: readonly unknown[] } {
  return (schema as SchemaInternals | undefined)?._zod?.def ?? {};
}

/** The types a union accepts, when every option is a plain type; else undefined. */
function unionTypes(union: unknown): string[] | undefined {
  const options = defOf(union).options ?? [];
  const names = options.map((option) => EXPECTED[defOf(option).type ?? '']);
  return names.length > 0 && names.every((name) => name !== undefined) ? [...new Set(names as string[])] : undefined;
}

function innerRule(issues: readonly { readonly message: string }[]): string {
  return issues[0]?.message ?? 'is not valid';
}

/**
 * The rule for one raw zod issue: the text after the field name. Reads only what the schema
 * defines (limits, formats, accepted values, declared keys) and the *type* of the input.
 */
export function ruleFor(issue: RawIssue): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined && (issue.path?.length ?? 0) > 0) return 'is required';
      const expected = EXPECTED[issue.expected] ?? `of type ${issue.expected}`;
      const received = 'received' in issue && issue.received === 'NaN' ? 'NaN' : typeName(issue.input);
      return `must be ${expected} (got ${received})`;
    }
    case 'too_big':
      return bound(issue, issue.maximum, 'most');
    case 'too_small':
      return bound(issue, issue.minimum, 'least');
    case 'invalid_format':
      if (issue.format === 'starts_with' && 'prefix' in issue) return `must start with ${quote(issue.prefix)}`;
      if (issue.format === 'ends_with' && 'suffix' in issue) return `must end with ${quote(issue.suffix)}`;
      if (issue.format === 'includes' && 'includes' in issue) return `must contain ${quote(issue.includes)}`;
      // A pattern says nothing a caller can read: point to the field's description instead.
      return FORMATS[issue.format] ?? 'is not in the form this field takes (its description in tools/list says which)';
    case 'not_multiple_of':
      return `must be a multiple of ${String(issue.divisor)}`;
    case 'unrecognized_keys': {
      const declared = Object.keys(defOf(issue.inst).shape ?? {});
      const count = issue.keys.length === 1 ? 'a field' : `${issue.keys.length} fields`;
      return declared.length === 0
        ? `must be empty: this takes no fields (${count} given)`
        : `has ${count} it does not take; it takes ${list(declared.map((key) => quote(key)), 'and')}`;
    }
    case 'invalid_union': {
      if ('discriminator' in issue && Array.isArray(issue.options)) return `must be ${list(issue.options.map(quote))}`;
      const types = unionTypes(issue.inst);
      return types ? `must be ${list(types)} (got ${typeName(issue.input)})` : 'matches none of the forms this field takes (see its schema in tools/list)';
    }
    case 'invalid_key':
      return `has a key that is not accepted: keys ${innerRule(issue.issues)}`;
    case 'invalid_element':
      return `has an entry whose value is not accepted: values ${innerRule(issue.issues)}`;
    case 'invalid_value': {
      const values = issue.values.map(quote);
      return values.length === 1 ? `must be ${values[0]}` : `must be one of ${list(values)}`;
    }
    case 'custom':
      return "is not accepted by this tool's own check (its description in tools/list says what it takes)";
    default:
      return 'is not valid';
  }
}

/** Every property name the schema declares, at any depth: the only names a path may show. */
const declaredNames = new WeakMap<z.ZodType, ReadonlySet<string>>();

function namesOf(schema: z.ZodType): ReadonlySet<string> {
  let names = declaredNames.get(schema);
  if (!names) {
    const found = new Set<string>();
    const visit = (node: unknown): void => {
      if (node === null || typeof node !== 'object') return;
      if (Array.isArray(node)) return node.forEach(visit);
      for (const [key, value] of Object.entries(node)) {
        if (key === 'properties' && value !== null && typeof value === 'object') for (const name of Object.keys(value)) found.add(name);
        visit(value);
      }
    };
    try {
      visit(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }));
    } catch {
      // a schema JSON Schema cannot express: every string segment is shown as [<key>]
    }
    names = found;
    declaredNames.set(schema, names);
  }
  return names;
}

/** `items[2].name`; a key the schema does not declare (a record key) is shown as `[<key>]`. */
function pathText(path: readonly PropertyKey[], names: ReadonlySet<string>): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof segment === 'string' && names.has(segment)) text += text === '' ? segment : `.${segment}`;
    else text += '[<key>]';
  }
  return text === '' ? 'arguments' : text.startsWith('[') ? `arguments${text}` : text;
}

/**
 * A message the schema's author wrote (`.regex(re, 'must be …')`) is used as the rule, unless it
 * repeats what the caller sent, carries control characters or is long; then the kit's own rule is
 * used (computed from the issue, which by now lacks its schema, so a little less specific).
 */
function authorRule(issue: z.core.$ZodIssue): string {
  const message = issue.message;
  const input = (issue as { input?: unknown }).input;
  const echoes = typeof input === 'string' && input.length >= 3 && message.includes(input);
  const unsafe = /[\u0000-\u001f\u007f-\u009f]/.test(message) || message.length > MAX_AUTHOR_MESSAGE;
  return echoes || unsafe ? ruleFor(issue as RawIssue) : message;
}

/**
 * Validates `args` against a tool's input schema. On failure, returns one line per issue (at most
 * {@link MAX_DESCRIBED_ISSUES}): the field as the schema names it and the rule, never a value.
 *
 * @example
 * const checked = validateArguments(z.strictObject({ text: z.string() }), {});
 * // checked.success === false, checked.problems: ['text is required']
 */
export function validateArguments<S extends z.ZodType>(
  schema: S,
  args: unknown,
): { success: true; data: z.output<S> } | { success: false; problems: string[] } {
  // The kit's rules are written by this error map; a message that is not one of them was written by
  // the schema's author (schema-level messages take precedence in zod).
  const own = new Set<string>();
  const result = schema.safeParse(args, {
    reportInput: true,
    error: (issue) => {
      const rule = ruleFor(issue);
      own.add(rule);
      return rule;
    },
  });
  if (result.success) return { success: true, data: result.data };
  const names = namesOf(schema);
  const problems = result.error.issues.slice(0, MAX_DESCRIBED_ISSUES).map((issue) => {
    const path = issue.code === 'invalid_key' && issue.origin === 'record' ? issue.path.slice(0, -1) : issue.path;
    return `${pathText(path, names)} ${own.has(issue.message) ? issue.message : authorRule(issue)}`;
  });
  return { success: false, problems };
}
