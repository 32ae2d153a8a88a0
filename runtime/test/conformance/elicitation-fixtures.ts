import { inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../../src/tools/definition.js';
import { FIXTURE_LIMITS } from './fixtures.js';

/**
 * The conformance fixtures that ask the client for input as the 2025-era scenarios name them
 * (`tools-call-sampling`, `tools-call-elicitation`, `elicitation-sep1034-defaults`,
 * `elicitation-sep1330-enums`). Written once with `inputRequired(...)`: in the 2025 era the SDK's
 * legacy shim sends the requests to the client within the call's stream, in 2026-07-28 the client
 * answers them as a multi round-trip request. The answer a handler reads has already been checked
 * against the requested schema (2025 era: `runtime/src/http/legacy-answers.ts`).
 */

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

/** How an elicitation ended, as the scenarios ask the tools to report it. */
function elicitationOutcome(responses: Readonly<Record<string, unknown>> | undefined, key: string): { action: string; content: unknown } | undefined {
  const view = inputResponse(responses, key);
  return view.kind === 'elicit' ? { action: view.action, content: view.content ?? {} } : undefined;
}

/** Scenario `tools-call-sampling`. */
export const testSampling = defineTool({
  name: 'test_sampling',
  title: 'Conformance: sampling',
  description: 'Asks the client model to answer a prompt (conformance fixture).',
  input: z.strictObject({ prompt: z.string().max(1_000).describe('The prompt to send to the model.') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  asks: ['sampling'],
  ...FIXTURE_LIMITS,
  handler: async ({ prompt }, { input }) => {
    const view = inputResponse(input.responses, 'answer');
    if (view.kind === 'sampling') {
      const [block] = Array.isArray(view.result.content) ? view.result.content : [view.result.content];
      return text(`LLM response: ${block?.type === 'text' ? block.text : ''}`);
    }
    return inputRequired({
      inputRequests: { answer: inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 }) },
    });
  },
});

/** Scenario `tools-call-elicitation`. */
export const testElicitation = defineTool({
  name: 'test_elicitation',
  title: 'Conformance: elicitation',
  description: 'Asks the user for a user name and an email address (conformance fixture).',
  input: z.strictObject({ message: z.string().max(1_000).describe('The message to show the user.') }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  asks: ['elicitation'],
  ...FIXTURE_LIMITS,
  handler: async ({ message }, { input }) => {
    const outcome = elicitationOutcome(input.responses, 'user');
    if (outcome) return text(`User response: <action: ${outcome.action}, content: ${JSON.stringify(outcome.content)}>`);
    return inputRequired({
      inputRequests: {
        user: inputRequired.elicit({
          message,
          requestedSchema: {
            type: 'object',
            properties: {
              username: { type: 'string', description: "User's response", maxLength: 200 },
              email: { type: 'string', description: "User's email address", format: 'email', maxLength: 320 },
            },
            required: ['username', 'email'],
          },
        }),
      },
    });
  },
});

/**
 * A fixture without arguments that asks with one form and reports how it ended, as
 * `elicitation-sep1034-defaults` and `elicitation-sep1330-enums` ask the tools to report it.
 */
function formFixture(name: string, title: string, description: string, requestedSchema: Record<string, unknown>): ToolDefinition {
  return defineTool({
    name,
    title,
    description,
    input: z.strictObject({}),
    annotations: { readOnlyHint: true, openWorldHint: false },
    asks: ['elicitation'],
    ...FIXTURE_LIMITS,
    handler: async (_args, { input }) => {
      const outcome = elicitationOutcome(input.responses, 'form');
      if (outcome) return text(`Elicitation completed: action=${outcome.action}, content=${JSON.stringify(outcome.content)}`);
      return inputRequired({ inputRequests: { form: inputRequired.elicit({ message: `${title}.`, requestedSchema: requestedSchema as never }) } });
    },
  }) as ToolDefinition;
}

/** Scenario `elicitation-sep1034-defaults`: a default for every primitive type. */
export const testElicitationDefaults = formFixture(
  'test_elicitation_sep1034_defaults',
  'Conformance: elicitation defaults',
  'Asks the user for values of every primitive type, each with a default (conformance fixture).',
  {
    type: 'object',
    properties: {
      name: { type: 'string', default: 'John Doe', maxLength: 200 },
      age: { type: 'integer', default: 30, minimum: 0, maximum: 200 },
      score: { type: 'number', default: 95.5, minimum: 0, maximum: 100 },
      status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', default: true },
    },
  },
);

/** Scenario `elicitation-sep1330-enums`: the five enum shapes. */
export const testElicitationEnums = formFixture(
  'test_elicitation_sep1330_enums',
  'Conformance: elicitation enums',
  'Asks the user to choose from single- and multi-select lists, with and without titles (conformance fixture).',
  {
    type: 'object',
    properties: {
      untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
      titledSingle: {
        type: 'string',
        oneOf: [
          { const: 'value1', title: 'First Option' },
          { const: 'value2', title: 'Second Option' },
          { const: 'value3', title: 'Third Option' },
        ],
      },
      legacyEnum: { type: 'string', enum: ['opt1', 'opt2', 'opt3'], enumNames: ['Option One', 'Option Two', 'Option Three'] },
      untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
      titledMulti: {
        type: 'array',
        items: {
          anyOf: [
            { const: 'value1', title: 'First Choice' },
            { const: 'value2', title: 'Second Choice' },
            { const: 'value3', title: 'Third Choice' },
          ],
        },
      },
    },
  },
);

/** The fixtures above, in the order of the scenarios. */
export const ELICITATION_FIXTURES: readonly ToolDefinition[] = [testSampling as ToolDefinition, testElicitation as ToolDefinition, testElicitationDefaults, testElicitationEnums];
