import { z } from 'zod';
import { findInstructionInjection, findInvisibleCharacter } from '../filters/index.js';
import type { ToolDefinition } from './definition.js';

/** The rules {@link lintToolDefinition} checks. */
export type LintRule =
  /** The tool name does not match `^[a-z][a-z0-9_]{1,63}$`. */
  | 'invalid-name'
  /** Two tools of one catalog share a name. */
  | 'duplicate-name'
  /** A parameter's name, title or description asks for a credential. */
  | 'credential-parameter'
  /** An object accepts keys it does not declare (`z.object`, `z.looseObject`, `z.record`). */
  | 'input-not-strict'
  /** A string without `maxLength` (and not an enum or literal). */
  | 'string-unbounded'
  /** An array without `maxItems`. */
  | 'array-unbounded'
  /** A number without both a lower and an upper bound. */
  | 'number-unbounded'
  /** A value of any type (`z.unknown()`, `z.any()`, or a type JSON Schema cannot express). */
  | 'untyped-value'
  /** The input schema cannot be converted to JSON Schema at all. */
  | 'schema-unconvertible'
  /** Text shown to the model contains characters a reader cannot see. */
  | 'invisible-unicode'
  /** Text shown to the model contains instruction-like text. */
  | 'instruction-injection';

/** One problem in one tool declaration. */
export interface LintFinding {
  /** The tool's name. */
  readonly tool: string;
  /** Where: `name`, `title`, `description`, or `input` / `input.<path>` (`[]` for array items). */
  readonly field: string;
  readonly rule: LintRule;
  /** What is wrong and how to fix it. Never contains more of the declaration than the field path. */
  readonly message: string;
}

/** The parts of a tool declaration the lint reads. */
export type LintableTool = Pick<ToolDefinition, 'name' | 'title' | 'description' | 'input'>;

const TOOL_NAME = /^[a-z][a-z0-9_]{1,63}$/;

/**
 * Words that ask for a credential, matched on the words of a name or a text (camelCase, snake_case,
 * kebab-case and spaces all split into words first; compounds such as `apikey` included).
 */
const CREDENTIAL_WORDS =
  /\b(?:pass ?words?|passwds?|pass ?phrases?|secrets?|token|(?:access|auth|refresh|bearer|api|id|session|oauth|personal) tokens|api ?keys?|access ?keys?|authori[sz]ations?|auth ?headers?|bearers?|cookies?|session ?ids?|private ?keys?|client ?secrets?|credentials?)\b/;
/**
 * Token phrases that are not credentials: model token counts and pagination cursors. A bare plural
 * "tokens" (text split into tokens) is not matched by {@link CREDENTIAL_WORDS} either.
 */
const NON_CREDENTIAL_TOKEN_PHRASES =
  /\b(?:(?:max|min|num|total|input|output|prompt|completion|context) tokens?|tokens? (?:count|limit|budget|usage|length|estimate)s?|(?:next|page|pagination|continuation|resume|sync|cursor) tokens?)\b/g;
const CAMEL_BOUNDARY = /([a-z0-9])([A-Z])/g;
const ACRONYM_BOUNDARY = /([A-Z]{1,64})([A-Z][a-z])/g;
const SEPARATORS = /[\s_\-.:/]{1,64}/g;

/** Splits identifiers and text into lower-case words separated by single spaces. */
function words(text: string): string {
  return text
    .replace(ACRONYM_BOUNDARY, '$1 $2')
    .replace(CAMEL_BOUNDARY, '$1 $2')
    .replace(SEPARATORS, ' ')
    .toLowerCase()
    .replace(NON_CREDENTIAL_TOKEN_PHRASES, ' ');
}

/** The credential word in `text`, or `undefined`. */
function credentialWordIn(text: string): string | undefined {
  return CREDENTIAL_WORDS.exec(words(text))?.[0];
}

type JsonSchema = { readonly [key: string]: unknown };

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function schemaList(value: unknown): JsonSchema[] {
  return Array.isArray(value) ? value.filter(isSchema) : [];
}

function typesOf(node: JsonSchema): string[] {
  const type = node['type'];
  if (typeof type === 'string') return [type];
  return Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
}

const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

function isExplicitBound(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) < SAFE_INTEGER_BOUND;
}

/**
 * Checks one tool declaration against the rules the platform enforces at start-up:
 *
 * - the input schema does not ask for a credential: no parameter whose name, title or description
 *   says password, passwd, passphrase, secret, token, API key, access key, authorization, bearer,
 *   cookie, session id, private key, client secret or credential(s) — in any case and with any
 *   separator, nested objects and arrays included. Token counts (`maxTokens`) and pagination
 *   tokens (`nextToken`) are not credentials and pass;
 * - the input is strict and bounded: every object refuses unknown keys (`additionalProperties:
 *   false`), every string has `maxLength` (enums and literals excepted), every array `maxItems`,
 *   every number both a minimum and a maximum (the ±2^53 defaults of `z.int()` do not count), and
 *   nothing is left untyped;
 * - the name matches `^[a-z][a-z0-9_]{1,63}$`, and the name, title, description and every
 *   parameter name, title and description (all of which the model reads) contain neither invisible
 *   Unicode nor instruction-like text ("ignore previous instructions", "do not tell the user",
 *   `<system>`, "you must always call" …).
 *
 * The schema is read through `z.toJSONSchema(def.input, { io: 'input' })`, i.e. as clients see it.
 *
 * @returns every finding, in declaration order; empty when the tool is acceptable.
 *
 * @example
 * lintToolDefinition(defineTool({ name: 'deploy', input: z.strictObject({ apiKey: z.string().max(64) }), ... }))
 * // → [{ tool: 'deploy', field: 'input.apiKey', rule: 'credential-parameter', message: '…' }]
 */
export function lintToolDefinition(def: LintableTool): LintFinding[] {
  const findings: LintFinding[] = [];
  const add = (field: string, rule: LintRule, message: string): void => {
    findings.push({ tool: def.name, field, rule, message });
  };

  if (!TOOL_NAME.test(def.name)) add('name', 'invalid-name', 'tool name must match ^[a-z][a-z0-9_]{1,63}$');
  checkShownText(add, 'name', def.name);
  checkShownText(add, 'title', def.title);
  checkShownText(add, 'description', def.description);

  let schema: JsonSchema;
  try {
    schema = z.toJSONSchema(def.input, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema;
  } catch {
    add('input', 'schema-unconvertible', 'input schema cannot be converted to JSON Schema; use plain zod types');
    return findings;
  }
  const definitions = isSchema(schema['$defs']) ? schema['$defs'] : {};
  walkSchema(schema, 'input', { add, definitions, visitedRefs: new Set() });
  return findings;
}

/**
 * Lints a whole catalog: every definition, plus names that occur twice.
 * @returns every finding; empty when the catalog is acceptable.
 */
export function lintToolCatalog(defs: readonly LintableTool[]): LintFinding[] {
  const findings: LintFinding[] = [];
  const seen = new Set<string>();
  for (const def of defs) {
    if (seen.has(def.name)) {
      findings.push({ tool: def.name, field: 'name', rule: 'duplicate-name', message: 'another tool has the same name' });
    }
    seen.add(def.name);
    findings.push(...lintToolDefinition(def));
  }
  return findings;
}

/** How many findings {@link assertCatalogSafe} spells out in its error message. */
const FINDINGS_IN_MESSAGE = 5;

/**
 * Refuses an unsafe catalog: runs {@link lintToolCatalog} and throws when anything is found. Called
 * at server start-up and by the test suite over the whole catalog.
 *
 * @throws Error whose message names the tool, the field and the rule of the first findings, e.g.
 *   `unsafe tool catalog: tool "deploy" field "input.apiKey" (credential-parameter): …`.
 */
export function assertCatalogSafe(defs: readonly LintableTool[]): void {
  const findings = lintToolCatalog(defs);
  if (findings.length === 0) return;
  const shown = findings
    .slice(0, FINDINGS_IN_MESSAGE)
    .map((f) => `tool "${f.tool}" field "${f.field}" (${f.rule}): ${f.message}`);
  const more = findings.length > FINDINGS_IN_MESSAGE ? `; and ${findings.length - FINDINGS_IN_MESSAGE} more` : '';
  throw new Error(`unsafe tool catalog: ${shown.join('; ')}${more}`);
}

type AddFinding = (field: string, rule: LintRule, message: string) => void;

function checkShownText(add: AddFinding, field: string, text: string): void {
  const invisible = findInvisibleCharacter(text);
  if (invisible) {
    add(field, 'invisible-unicode', `contains the invisible character ${invisible.codePoint} at index ${invisible.index}`);
  }
  const injection = findInstructionInjection(text);
  if (injection) add(field, 'instruction-injection', `contains instruction-like text (${injection})`);
}

interface WalkState {
  readonly add: AddFinding;
  readonly definitions: JsonSchema;
  readonly visitedRefs: Set<string>;
}

const LOCAL_DEF_REF = /^#\/\$defs\/(.{1,200})$/;

function walkSchema(node: JsonSchema, path: string, state: WalkState): void {
  const { add } = state;

  for (const key of ['title', 'description'] as const) {
    const text = node[key];
    if (typeof text !== 'string') continue;
    checkShownText(add, path, text);
    // The root object's own description describes the tool's input as a whole, not a parameter.
    if (path !== 'input') {
      const word = credentialWordIn(text);
      if (word) add(path, 'credential-parameter', `${key} asks for a credential ("${word}"); tools must not take credentials as input`);
    }
  }

  const ref = node['$ref'];
  if (typeof ref === 'string') {
    const name = LOCAL_DEF_REF.exec(ref)?.[1];
    const target = name === undefined ? undefined : state.definitions[name];
    if (name !== undefined && isSchema(target)) {
      if (!state.visitedRefs.has(name)) {
        state.visitedRefs.add(name);
        walkSchema(target, path, state);
      }
    } else {
      add(path, 'untyped-value', 'schema reference cannot be resolved');
    }
    return;
  }

  const branches = [...schemaList(node['anyOf']), ...schemaList(node['oneOf']), ...schemaList(node['allOf'])];
  for (const branch of branches) walkSchema(branch, path, state);

  const types = typesOf(node);
  const enumerated = Array.isArray(node['enum']) || 'const' in node;
  if (types.length === 0 && branches.length === 0 && !enumerated && !('not' in node)) {
    add(path, 'untyped-value', 'value has no type; declare a bounded zod type instead of any, unknown or a custom type');
    return;
  }

  for (const type of types) {
    switch (type) {
      case 'object':
        walkObject(node, path, state);
        break;
      case 'array':
        walkArray(node, path, state);
        break;
      case 'string':
        if (!enumerated && typeof node['maxLength'] !== 'number') {
          add(path, 'string-unbounded', 'string has no maximum length; add .max(n)');
        }
        break;
      case 'number':
      case 'integer':
        if (
          !enumerated &&
          !(
            (isExplicitBound(node['minimum']) || isExplicitBound(node['exclusiveMinimum'])) &&
            (isExplicitBound(node['maximum']) || isExplicitBound(node['exclusiveMaximum']))
          )
        ) {
          add(path, 'number-unbounded', 'number needs both a minimum and a maximum; add .min(a).max(b)');
        }
        break;
      default:
        break;
    }
  }
}

function walkObject(node: JsonSchema, path: string, state: WalkState): void {
  const { add } = state;
  if (node['additionalProperties'] !== false) {
    const kind = isSchema(node['propertyNames']) ? 'a record accepts any key' : 'object accepts unknown keys';
    add(path, 'input-not-strict', `${kind}; use z.strictObject({...}) with declared keys`);
  }
  const properties = isSchema(node['properties']) ? node['properties'] : {};
  for (const [name, child] of Object.entries(properties)) {
    const childPath = `${path}.${name}`;
    const word = credentialWordIn(name);
    if (word) add(childPath, 'credential-parameter', `parameter name asks for a credential ("${word}"); tools must not take credentials as input`);
    const invisible = findInvisibleCharacter(name);
    if (invisible) add(childPath, 'invisible-unicode', `parameter name contains the invisible character ${invisible.codePoint}`);
    if (isSchema(child)) walkSchema(child, childPath, state);
  }
  const additional = node['additionalProperties'];
  // `{}` (any value) is already reported as not strict; a typed record value is walked like a property.
  if (isSchema(additional) && Object.keys(additional).length > 0) walkSchema(additional, `${path}.*`, state);
}

function walkArray(node: JsonSchema, path: string, state: WalkState): void {
  if (typeof node['maxItems'] !== 'number') state.add(path, 'array-unbounded', 'array has no maximum length; add .max(n)');
  const itemsPath = `${path}[]`;
  for (const item of schemaList(node['prefixItems'])) walkSchema(item, itemsPath, state);
  if (isSchema(node['items'])) walkSchema(node['items'], itemsPath, state);
}
