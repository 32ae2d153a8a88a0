import { acceptedContent, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { definePrompt, type PromptDefinition } from '../../src/capabilities/index.js';
import { defineTool, type InputAccess, type ToolDefinition } from '../../src/tools/definition.js';
import { FIXTURE_LIMITS } from './fixtures.js';

/**
 * The fixtures of the suite's multi round-trip scenarios (`input-required-result-*`, and the
 * `server-stateless` checks that need `test_streaming_elicitation` and `test_missing_capability`),
 * written the one way every handler of the kit asks for input: return `inputRequired(...)`, read
 * `ctx.input.responses` on the retry, keep what spans rounds in `ctx.input.seal(...)`. Each is a
 * normal catalog entry (scope, deadline, limits, filter profile) that declares the kinds of input it
 * asks for. Test only (under `runtime/test/`, never in the image).
 */

const nameSchema = z.strictObject({ name: z.string().min(1).max(100) });
const okSchema = z.strictObject({ ok: z.boolean() });
const colorSchema = z.strictObject({ color: z.string().min(1).max(50) });
const contextSchema = z.strictObject({ context: z.string().min(1).max(500) });

const askName = (message = 'What is your name?') =>
  inputRequired.elicit({ message, requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } });
const askOk = () =>
  inputRequired.elicit({ message: 'Please confirm', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } });
const askModel = (text: string, maxTokens: number) =>
  inputRequired.createMessage({ messages: [{ role: 'user', content: { type: 'text', text } }], maxTokens });

/** The text of a sampling answer, validated. */
function sampledText(input: InputAccess, key: string): string | undefined {
  const view = inputResponse(input.responses, key);
  if (view.kind !== 'sampling') return undefined;
  const content = view.result.content;
  const block = Array.isArray(content) ? content[0] : content;
  return block && block.type === 'text' && typeof block.text === 'string' ? block.text.slice(0, 500) : undefined;
}

/** The root URIs of a roots answer, validated. */
function rootUris(input: InputAccess, key: string): string[] | undefined {
  const view = inputResponse(input.responses, key);
  if (view.kind !== 'roots') return undefined;
  return view.roots.slice(0, 20).map((root) => String(root.uri).slice(0, 200));
}

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

const common = { input: z.strictObject({}), annotations: { readOnlyHint: true, openWorldHint: false }, ...FIXTURE_LIMITS } as const;

/** `input-required-result-basic-elicitation`, `-result-type`, `-missing-input-response`, `-ignore-extra-params`, `-validate-input`. */
const elicitation = defineTool({
  ...common,
  name: 'test_input_required_result_elicitation',
  title: 'Conformance: ask the user for a name',
  description: 'Asks the user for a name by elicitation, then greets them (conformance fixture).',
  asks: ['elicitation'],
  handler: async (_args, { input }) => {
    const answer = acceptedContent(input.responses, 'user_name', nameSchema);
    // Missing, declined or malformed: ask again.
    if (!answer) return inputRequired({ inputRequests: { user_name: askName() } });
    return text(`Hello, ${answer.name}!`);
  },
});

/** `input-required-result-basic-sampling`. */
const sampling = defineTool({
  ...common,
  name: 'test_input_required_result_sampling',
  title: 'Conformance: ask the model',
  description: 'Asks the client model a question by sampling, then reports the answer (conformance fixture).',
  asks: ['sampling'],
  handler: async (_args, { input }) => {
    const answer = sampledText(input, 'capital_question');
    if (answer === undefined) return inputRequired({ inputRequests: { capital_question: askModel('What is the capital of France?', 100) } });
    return text(`The model answered: ${answer}`);
  },
});

/** `input-required-result-basic-list-roots`. */
const listRoots = defineTool({
  ...common,
  name: 'test_input_required_result_list_roots',
  title: 'Conformance: ask for roots',
  description: 'Asks the client for its roots, then lists them (conformance fixture).',
  asks: ['roots'],
  handler: async (_args, { input }) => {
    const roots = rootUris(input, 'client_roots');
    if (!roots) return inputRequired({ inputRequests: { client_roots: inputRequired.listRoots() } });
    return text(`Roots: ${roots.join(', ') || '(none)'}`);
  },
});

const roundState = z.strictObject({ round: z.number().int(), name: z.string().max(100).optional() });

/** Scenarios `input-required-result-request-state` and `-tampered-state`: the state is sealed, bound and single-use. */
function stateful(name: string, title: string): ToolDefinition {
  return defineTool({
    ...common,
    name,
    title,
    description: 'Asks for a confirmation and keeps a sealed requestState across the round (conformance fixture).',
    asks: ['elicitation'],
    handler: async (_args, { input }) => {
      const state = roundState.safeParse(input.state);
      const answer = acceptedContent(input.responses, 'confirm', okSchema);
      if (!state.success || state.data.round !== 1 || !answer) return inputRequired({ inputRequests: { confirm: askOk() }, requestState: await input.seal({ round: 1 }) });
      return text(`state-ok: confirmed=${answer.ok}`);
    },
  }) as ToolDefinition;
}

/** `input-required-result-multiple-input-requests`. */
const multipleInputs = defineTool({
  ...common,
  name: 'test_input_required_result_multiple_inputs',
  title: 'Conformance: ask for three inputs at once',
  description: 'Asks the user, the model and the client roots in one round (conformance fixture).',
  asks: ['elicitation', 'sampling', 'roots'],
  handler: async (_args, { input }) => {
    const state = roundState.safeParse(input.state);
    const user = acceptedContent(input.responses, 'user_name', nameSchema);
    const greeting = sampledText(input, 'greeting');
    const roots = rootUris(input, 'client_roots');
    if (!state.success || !user || greeting === undefined || !roots) {
      return inputRequired({
        inputRequests: { user_name: askName(), greeting: askModel('Generate a greeting', 50), client_roots: inputRequired.listRoots() },
        requestState: await input.seal({ round: 1 }),
      });
    }
    return text(`${greeting} ${user.name} (roots: ${roots.length})`);
  },
});

/** `input-required-result-multi-round`: three rounds, a new sealed state each time. */
const multiRound = defineTool({
  ...common,
  name: 'test_input_required_result_multi_round',
  title: 'Conformance: two questions in two rounds',
  description: 'Asks for a name, then for a colour, keeping the answers in a sealed state (conformance fixture).',
  asks: ['elicitation'],
  handler: async (_args, { input }) => {
    const state = roundState.safeParse(input.state);
    if (state.success && state.data.round === 1) {
      const step1 = acceptedContent(input.responses, 'step1', nameSchema);
      if (step1) {
        return inputRequired({
          inputRequests: {
            step2: inputRequired.elicit({
              message: 'Step 2: What is your favorite color?',
              requestedSchema: { type: 'object', properties: { color: { type: 'string' } }, required: ['color'] },
            }),
          },
          requestState: await input.seal({ round: 2, name: step1.name }),
        });
      }
    }
    if (state.success && state.data.round === 2) {
      const step2 = acceptedContent(input.responses, 'step2', colorSchema);
      if (step2) return text(`${state.data.name ?? 'You'} likes ${step2.color}.`);
    }
    return inputRequired({ inputRequests: { step1: askName('Step 1: What is your name?') }, requestState: await input.seal({ round: 1 }) });
  },
});

/** `input-required-result-capability-check`: asks only for what the request's client capabilities declare. */
const capabilities = defineTool({
  ...common,
  name: 'test_input_required_result_capabilities',
  title: 'Conformance: ask only what the client can answer',
  description: 'Asks the user if the client can elicit, else the model (conformance fixture).',
  asks: ['elicitation', 'sampling'],
  handler: async (_args, { input }) => {
    const user = acceptedContent(input.responses, 'user_input', nameSchema);
    const model = sampledText(input, 'model_input');
    if (user) return text(`Hello, ${user.name}!`);
    if (model !== undefined) return text(`The model answered: ${model}`);
    if (input.canAsk('elicitation')) return inputRequired({ inputRequests: { user_input: askName() } });
    if (input.canAsk('sampling')) return inputRequired({ inputRequests: { model_input: askModel('Say hello', 50) } });
    return text('This client can answer no input request.');
  },
});

/** `server-stateless` (`sep-2575-http-server-no-independent-requests-on-stream`): asks by result, never by a request on the stream. */
const streamingElicitation = defineTool({
  ...common,
  name: 'test_streaming_elicitation',
  title: 'Conformance: elicitation on a stateless request',
  description: 'Asks the user for a name; the question travels in the result, not as a request on the stream (conformance fixture).',
  asks: ['elicitation'],
  handler: async (_args, { input }) => {
    const answer = acceptedContent(input.responses, 'user_name', nameSchema);
    return answer ? text(`Hello, ${answer.name}!`) : inputRequired({ inputRequests: { user_name: askName() } });
  },
});

/** `server-stateless` (`sep-2575-server-rejects-undeclared-capability`): asks the model; a client without sampling gets -32021. */
const missingCapability = defineTool({
  ...common,
  name: 'test_missing_capability',
  title: 'Conformance: needs sampling',
  description: 'Asks the client model; refused with -32021 when the client does not declare sampling (conformance fixture).',
  asks: ['sampling'],
  handler: async (_args, { input }) => {
    const answer = sampledText(input, 'model_input');
    return answer === undefined ? inputRequired({ inputRequests: { model_input: askModel('Say hello', 20) } }) : text(`The model answered: ${answer}`);
  },
});

/** Tools of the multi round-trip scenarios. */
export const INPUT_FIXTURES: readonly ToolDefinition[] = [
  elicitation,
  sampling,
  listRoots,
  stateful('test_input_required_result_request_state', 'Conformance: sealed request state'),
  stateful('test_input_required_result_tampered_state', 'Conformance: tampered request state'),
  multipleInputs,
  multiRound,
  capabilities,
  streamingElicitation,
  missingCapability,
] as ToolDefinition[];

/** `input-required-result-non-tool-request`: a prompt that asks the user for context first. */
export const INPUT_PROMPTS: readonly PromptDefinition[] = [
  definePrompt({
    name: 'test_input_required_result_prompt',
    title: 'Conformance: prompt that asks first',
    description: 'Asks the user for context by elicitation, then builds the prompt from it (conformance fixture).',
    arguments: z.strictObject({}),
    asks: ['elicitation'],
    ...FIXTURE_LIMITS,
    get: async (_args, { input }) => {
      const answer = acceptedContent(input.responses, 'user_context', contextSchema);
      if (!answer) {
        return inputRequired({
          inputRequests: {
            user_context: inputRequired.elicit({
              message: 'What context should the prompt use?',
              requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
            }),
          },
        });
      }
      return { messages: [{ role: 'user', content: { type: 'text', text: `Use this context: ${answer.context}` } }] };
    },
  }) as PromptDefinition,
];
