import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/definition.js';

/**
 * The fixture tools the official MCP conformance suite (`@modelcontextprotocol/conformance`) calls,
 * as far as the kit's tool platform can express them. They live under `runtime/test/`, which the
 * container build never copies (see `.dockerignore` and `runtime/tsconfig.build.json`), so no
 * deployed server can serve them.
 *
 * The resources, prompts and content tools are in `capability-fixtures.ts`. What is still left out is
 * listed in `conformance-baseline.yml` with its reason.
 *
 * Every fixture is a normal catalog entry: strict, bounded input, a scope, a deadline, a concurrency
 * limit and an output filter profile, and it passes the catalog lint like any other tool.
 */

/** The one scope every fixture requires. */
export const CONFORMANCE_SCOPE = 'mcp:conformance.fixtures';

/** The controls every conformance fixture declares. */
export const FIXTURE_LIMITS = {
  access: { scopes: [CONFORMANCE_SCOPE] },
  deadlineMs: 2_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
} as const;

/** Scenario `tools-call-simple-text`. */
export const testSimpleText = defineTool({
  name: 'test_simple_text',
  title: 'Conformance: simple text',
  description: 'Returns a fixed text block (conformance fixture).',
  input: z.strictObject({}),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  ...FIXTURE_LIMITS,
  handler: async () => ({ content: [{ type: 'text', text: 'This is a simple text response for testing.' }] }),
});

/**
 * Scenario `tools-call-error`: the handler always throws. The platform turns that into an
 * `isError: true` result with a public message and the correlation id, as for any failing tool.
 */
export const testErrorHandling = defineTool({
  name: 'test_error_handling',
  title: 'Conformance: error result',
  description: 'Always fails, to show how a failing tool is reported (conformance fixture).',
  input: z.strictObject({}),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  ...FIXTURE_LIMITS,
  handler: async () => {
    throw new Error('This tool intentionally returns an error for testing');
  },
});

// Registered under the id `address`, so the JSON Schema conversion puts it in `$defs` and refers to it with `$ref`.
const address = z
  .strictObject({
    street: z.string().max(200).describe('Street and number.'),
    city: z.string().max(100).describe('City.'),
  })
  .meta({ id: 'address' });

/** Scenario `json-schema-2020-12`: an input schema with `$defs`, `$ref` and `additionalProperties: false`. */
export const jsonSchema202012Tool = defineTool({
  name: 'json_schema_2020_12_tool',
  title: 'Conformance: JSON Schema 2020-12 input',
  description: 'Tool with JSON Schema 2020-12 features; echoes the name and city it was given (conformance fixture).',
  input: z.strictObject({
    name: z.string().max(100).optional().describe('A name.'),
    address: address.optional(),
  }),
  output: z.strictObject({ name: z.string().optional(), city: z.string().optional() }),
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  ...FIXTURE_LIMITS,
  handler: async ({ name, address: given }) => {
    const echo = { ...(name !== undefined ? { name } : {}), ...(given ? { city: given.city } : {}) };
    return { content: [{ type: 'text', text: JSON.stringify(echo) }], structuredContent: echo };
  },
});

/** Every conformance fixture, in the order the suite's scenarios use them. */
export const CONFORMANCE_FIXTURES: readonly ToolDefinition[] = [testSimpleText, testErrorHandling, jsonSchema202012Tool] as ToolDefinition[];
