import {
  isInputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  ResourceNotFoundError,
  type CompleteResult,
  type GetPromptResult,
  type InputRequiredResult,
  type ReadResourceResult,
} from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ownerKey, type Principal } from '../auth/principal.js';
import { PublicError, publicErrorText, toPublicError } from '../errors/index.js';
import type { InputRound } from '../input/index.js';
import { runWithDeadline, checkArguments, filteredInputRequired, inputAccessFor, type CancelSource, type InvokeDependencies, type TraceStep } from '../tools/invoke.js';
import type { CapabilityCatalog } from './catalog.js';
import { createContentFilter } from './filter-memo.js';
import { wireContentBlock, wireResourceContents, type ContentBlock, type ResourceContents } from './content.js';
import type { CapabilityContext, CapabilityControls, PromptMessage } from './definition.js';

/** One request's caller and signals, as the MCP layer hands them over. */
export interface CapabilityRequest {
  readonly principal: Principal;
  readonly correlationId: string;
  /** Any of these aborting cancels the work (the client went away, the server shuts down). */
  readonly signals: readonly CancelSource[];
  readonly step: TraceStep;
}

/** Serves `resources/read`, `prompts/get` and `completion/complete` through the platform pipeline. */
export interface CapabilityService {
  readResource(request: CapabilityRequest, uri: string): Promise<ReadResourceResult>;
  /** A prompt's messages, or `input_required` when its `get` asks for input first (`round`: this round of the request). */
  getPrompt(request: CapabilityRequest, name: string, args: unknown, round?: InputRound): Promise<GetPromptResult | InputRequiredResult>;
  complete(request: CapabilityRequest, ref: { type: string; name?: string; uri?: string }, argument: { name: string; value: string }): Promise<CompleteResult>;
}

/** Most completion values one answer carries (the protocol's own cap). */
const MAX_COMPLETION_VALUES = 100;
/** Longest partial value a client may send for completion. */
const MAX_COMPLETION_INPUT = 256;

const PROMPT_ROLES: ReadonlySet<string> = new Set(['user', 'assistant']);

function publicProtocolError(error: PublicError, correlationId: string): ProtocolError {
  const code = error.kind === 'invalid_arguments' || error.kind === 'credential_input' ? ProtocolErrorCode.InvalidParams : ProtocolErrorCode.InternalError;
  return new ProtocolError(code, publicErrorText(error, correlationId));
}

/**
 * The pipeline every resource read, prompt get and completion runs through, in the order tool calls
 * use: policy (the catalog answers only what this principal may use; anything else is answered like
 * a missing item) → strict argument validation and the credential-value check → per-principal
 * concurrency → handler under its deadline → wire-shape check → output filter (redaction, then
 * moderation when the profile asks). Failures become JSON-RPC errors with public text and the
 * correlation id; private causes go to the error log.
 */
export function createCapabilityService(catalog: CapabilityCatalog, deps: InvokeDependencies): CapabilityService {
  // Resource contents and prompt messages keep their filtered form while the filter is pure (filter-memo.ts).
  const contentFilter = createContentFilter(deps.filter);

  async function run<T>(request: CapabilityRequest, kind: string, name: string, controls: CapabilityControls, work: (ctx: CapabilityContext) => Promise<T>): Promise<T> {
    const started = performance.now();
    const metric = `${kind}:${name}`;
    const release = deps.limiter.tryAcquire(`${ownerKey(request.principal)}#${metric}`, controls.concurrencyPerPrincipal);
    if (!release) {
      deps.observer.toolCall(metric, 'busy', performance.now() - started);
      throw publicProtocolError(new PublicError('busy'), request.correlationId);
    }
    const { result, settled } = runWithDeadline(controls.deadlineMs, request.signals, (signal) =>
      work({ principal: request.principal, correlationId: request.correlationId, signal }),
    );
    void settled.finally(release);
    try {
      const value = await request.step('tool', () => result);
      deps.observer.toolCall(metric, 'ok', performance.now() - started);
      return value;
    } catch (thrown) {
      const error = toPublicError(thrown);
      deps.observer.toolCall(metric, error.kind === 'timeout' ? 'timeout' : error.kind === 'cancelled' ? 'cancelled' : error.kind === 'output_blocked' ? 'blocked' : 'error', performance.now() - started);
      if (error.kind === 'internal' || error.kind === 'unavailable') deps.observer.failure(request.correlationId, error.cause ?? error, metric);
      throw publicProtocolError(error, request.correlationId);
    }
  }

  /**
   * Redacts (and moderates, per profile) content blocks, then checks their wire shape. Resource
   * contents and prompt messages (`memo`) go through the memoizing filter; completions do not.
   */
  async function filtered(blocks: readonly ContentBlock[], controls: CapabilityControls, signal: AbortSignal, memo = false): Promise<ContentBlock[]> {
    const out = memo
      ? await contentFilter.apply(blocks, controls.outputFilter, signal)
      : await deps.filter.apply({ content: blocks }, controls.outputFilter, signal).then((answer) => ({ ...answer, content: answer.result.content }));
    deps.observer.redactions(out.redactions);
    if (out.blocked) throw new PublicError('output_blocked');
    return out.content.map((block) => {
      const wire = wireContentBlock(block);
      if (!wire) throw new PublicError('internal', [], { cause: new Error('a handler returned content that is not an MCP content block') });
      return wire;
    });
  }

  function validated<Schema extends z.ZodType>(schema: Schema, args: unknown, name: string, correlationId: string): z.infer<Schema> {
    try {
      return checkArguments(schema, args, deps.findCredential, () => deps.observer.credentialInput(name));
    } catch (error) {
      throw publicProtocolError(toPublicError(error), correlationId);
    }
  }

  return {
    async readResource(request, uri) {
      const resolved = typeof uri === 'string' ? catalog.findResource(request.principal, uri) : undefined;
      // Missing and hidden answer alike: -32602 with the URI, as the protocol asks.
      if (!resolved) throw new ResourceNotFoundError(String(uri).slice(0, 2_048));
      const { definition } = resolved;
      const args = resolved.kind === 'template' ? validated(resolved.definition.arguments, resolved.variables, definition.name, request.correlationId) : undefined;
      const contents = await run(request, 'resource', definition.name, definition, async (ctx) => {
        const read = resolved.kind === 'template' ? await resolved.definition.read(args!, { ...ctx, uri }) : await resolved.definition.read(ctx);
        if (!Array.isArray(read)) throw new PublicError('internal', [], { cause: new Error('a resource handler returned no contents array') });
        const blocks = (read as readonly ResourceContents[]).map((resource) => ({ type: 'resource', resource }) as ContentBlock);
        const clean = await filtered(blocks, definition, ctx.signal, true);
        return clean.map((block) => {
          const resource = block.type === 'resource' ? wireResourceContents(block.resource) : undefined;
          if (!resource) throw new PublicError('internal', [], { cause: new Error('a resource handler returned contents of another shape') });
          return resource;
        });
      });
      // A template handler that finds nothing under its variables answers like an unknown URI.
      if (contents.length === 0) throw new ResourceNotFoundError(uri.slice(0, 2_048));
      return { contents };
    },

    async getPrompt(request, name, args, round) {
      const definition = typeof name === 'string' ? catalog.findPrompt(request.principal, name) : undefined;
      if (!definition) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Unknown prompt.');
      const parsed = validated(definition.arguments, args, definition.name, request.correlationId);
      // A prompt that declares no input to ask for gets no round: it can neither ask nor read answers,
      // whichever path serves it (the direct path serves only such prompts, without a round).
      const usable = (definition.asks?.length ?? 0) > 0 ? round : undefined;
      return run<GetPromptResult | InputRequiredResult>(request, 'prompt', definition.name, definition, async (ctx) => {
        const got = await definition.get(parsed, { ...ctx, input: inputAccessFor(usable, false) });
        if (isInputRequiredResult(got)) {
          if (!usable) throw new PublicError('internal', [], { cause: new Error('an input_required return from a prompt without input rounds (none declared, or the direct path)') });
          return filteredInputRequired(deps, definition, got, usable, ctx.signal);
        }
        const messages: readonly PromptMessage[] = Array.isArray(got?.messages) ? got.messages : [];
        if (messages.length === 0 || messages.some((message) => !PROMPT_ROLES.has(message?.role))) {
          throw new PublicError('internal', [], { cause: new Error('a prompt handler returned no messages or a message without a user or assistant role') });
        }
        const description = typeof got.description === 'string' ? got.description : undefined;
        const blocks: ContentBlock[] = [...messages.map((message) => message.content), ...(description !== undefined ? [{ type: 'text', text: description } as const] : [])];
        const clean = await filtered(blocks, definition, ctx.signal, true);
        return {
          ...(description !== undefined ? { description: (clean[messages.length] as { text: string }).text } : {}),
          messages: messages.map((message, index) => ({ role: message.role, content: clean[index]! })),
        } as GetPromptResult;
      });
    },

    async complete(request, ref, argument) {
      const completer = catalog.findCompleter(request.principal, ref, argument.name);
      // Nothing to complete, missing or hidden alike: an empty answer.
      if (!completer) return { completion: { values: [], hasMore: false } };
      const value = validated(z.string().max(MAX_COMPLETION_INPUT), argument.value, completer.name, request.correlationId);
      return run(request, 'completion', completer.name, completer.controls, async (ctx) => {
        const values = await completer.complete(value, ctx);
        const strings = (Array.isArray(values) ? values : []).filter((item): item is string => typeof item === 'string');
        const clean = await filtered(strings.slice(0, MAX_COMPLETION_VALUES).map((text) => ({ type: 'text', text })), completer.controls, ctx.signal);
        return {
          completion: { values: clean.map((block) => (block as { text: string }).text), total: strings.length, hasMore: strings.length > MAX_COMPLETION_VALUES },
        };
      });
    },
  };
}
