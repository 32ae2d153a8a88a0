import { inputRequired, isInputRequiredResult, type CallToolResult, type InputRequiredResult } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import { ownerKey, type Principal } from '../auth/principal.js';
import { wireContentBlock, type ContentBlock } from '../capabilities/content.js';
import { PublicError, publicErrorText, toPublicError, validateArguments } from '../errors/index.js';
import { redactText } from '../filters/index.js';
import { checkInputRequired, CONFIRM_KEY, confirmationAnswer, confirmationRequest, declinedResult, type InputRound } from '../input/index.js';
import { clientLogFor, type LogSink } from '../logging/index.js';
import type { HandleAccess, InputAccess, InputKind, OutputFilterProfile, ToolContext, ToolDefinition, ToolResult, UserStateAccess } from './definition.js';
import type { ConcurrencyLimiter } from './limits.js';

/** Outcome of one call, for metrics and logs. */
export type ToolCallOutcome = 'ok' | 'invalid' | 'credential_input' | 'timeout' | 'cancelled' | 'busy' | 'blocked' | 'error' | 'input_required' | 'declined';

/** Redacts and moderates a result before it leaves the process. */
export interface OutputFilter {
  /**
   * Whether the answer is a pure function of the result and the profile (local redaction and local
   * moderation rules; not a remote moderation service). Lets resource and prompt contents keep
   * their filtered form (see capabilities/filter-memo.ts). @default false
   */
  readonly deterministic?: boolean;
  apply(
    result: ToolResult,
    profile: OutputFilterProfile,
    signal: AbortSignal,
  ): Promise<{ result: ToolResult; redactions: Readonly<Record<string, number>>; blocked: boolean }>;
}

/** Hooks through which a call reports what happened; implemented by the observability wiring. */
export interface ToolCallObserver {
  toolCall(tool: string, outcome: ToolCallOutcome, latencyMs: number): void;
  redactions(counts: Readonly<Record<string, number>>): void;
  credentialInput(tool: string): void;
  /** The private cause of a failure, logged under the correlation id. */
  failure(correlationId: string, cause: unknown, tool: string): void;
}

/**
 * Something a call can be cancelled by: an `AbortSignal`, or any object with the same `aborted`
 * flag and `abort` event (the HTTP layer's client-disconnect watch, which needs no AbortController).
 */
export interface CancelSource {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Runs one step of a request inside its own trace span. */
export type TraceStep = <T>(name: 'policy' | 'tool' | 'filter', run: () => Promise<T>) => Promise<T>;

export interface InvokeDependencies {
  readonly limiter: ConcurrencyLimiter;
  readonly filter: OutputFilter;
  /** Returns the kind of credential an argument value looks like, or `undefined`. Never the value. */
  readonly findCredential: (value: unknown) => string | undefined;
  readonly stateFor: (principal: Principal, stateScope: string) => UserStateAccess;
  readonly handlesFor: (principal: Principal) => HandleAccess;
  readonly observer: ToolCallObserver;
}

export interface InvokeRequest {
  readonly principal: Principal;
  readonly tool: ToolDefinition;
  readonly args: unknown;
  readonly correlationId: string;
  /** Any of these aborting cancels the call (the client went away, the server shuts down). */
  readonly signals: readonly CancelSource[];
  readonly step: TraceStep;
  /** Sends a progress notification to the client; absent when the client asked for none. */
  readonly progress?: ProgressReporter;
  /**
   * This round of a multi round-trip request (the SDK path). Absent on the direct path, where no
   * tool that asks for input or needs confirmation is served.
   */
  readonly input?: InputRound;
  /** Where the handler's log messages go; absent when the client asked for no logs. */
  readonly log?: LogSink;
}

/** Sends one progress update of the current request to the client. */
export type ProgressReporter = (update: { progress: number; total?: number; message?: string }) => Promise<void>;

/** The `tools/call` result: a tool result, or an error result carrying only a public message. */
export type CallResult = CallToolResult;

/** What a call answers on the SDK path: a result, or `input_required` (ask the client, then retry). */
export type CallAnswer = CallResult | InputRequiredResult;

/** Deepest nesting and most values accepted in arguments, checked before schema validation. */
export const ARGUMENT_LIMITS = { depth: 12, nodes: 5_000 } as const;

function withinShape(value: unknown): boolean {
  let nodes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  while (stack.length > 0) {
    const { value: current, depth } = stack.pop()!;
    nodes += 1;
    if (nodes > ARGUMENT_LIMITS.nodes || depth > ARGUMENT_LIMITS.depth) return false;
    if (current !== null && typeof current === 'object') {
      for (const child of Object.values(current)) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return true;
}

/**
 * Checks untrusted arguments the way every capability's arguments are checked: shape limits
 * (depth, number of values) → the strict zod schema → no value that looks like a credential.
 *
 * @param onCredential - called when a value looks like a credential, before the refusal
 * @returns the parsed arguments
 * @throws PublicError `invalid_arguments` (field names and rules only, never values) or `credential_input`
 */
export function checkArguments<Schema extends z.ZodType>(
  schema: Schema,
  args: unknown,
  findCredential: (value: unknown) => string | undefined,
  onCredential: () => void,
): z.output<Schema> {
  if (!withinShape(args)) {
    throw new PublicError('invalid_arguments', [`arguments must nest at most ${ARGUMENT_LIMITS.depth} levels and hold at most ${ARGUMENT_LIMITS.nodes} values`]);
  }
  const result = validateArguments(schema, args ?? {});
  if (!result.success) throw new PublicError('invalid_arguments', result.problems);
  const credential = findCredential(result.data);
  if (credential !== undefined) {
    onCredential();
    throw new PublicError('credential_input', [], { cause: new Error(`argument value looks like a ${credential}`) });
  }
  return result.data;
}

function outcomeOf(error: PublicError): ToolCallOutcome {
  switch (error.kind) {
    case 'invalid_arguments':
      return 'invalid';
    case 'credential_input':
      return 'credential_input';
    case 'timeout':
      return 'timeout';
    case 'cancelled':
      return 'cancelled';
    case 'busy':
    case 'too_many_pending':
      return 'busy';
    case 'output_blocked':
      return 'blocked';
    default:
      return 'error';
  }
}

/**
 * The wire form of a result, or `undefined` when it breaks the shape every `tools/call` answer must
 * have: content blocks of the kinds MCP defines (known fields only, binary payloads canonical
 * base64), and structured content that is absent or a plain object. Handlers are typed to return
 * exactly this; the check keeps a handler that breaks its type from reaching the client in a shape
 * the protocol does not allow.
 */
function wireResult(result: ToolResult): CallResult | undefined {
  if (!Array.isArray(result.content)) return undefined;
  const content: ContentBlock[] = [];
  for (const block of result.content) {
    const wire = wireContentBlock(block);
    if (!wire) return undefined;
    content.push(wire);
  }
  const structured: unknown = result.structuredContent;
  if (structured === undefined) return { content } as CallResult;
  if (structured === null || typeof structured !== 'object' || Array.isArray(structured)) return undefined;
  const proto: unknown = Object.getPrototypeOf(structured);
  if (proto !== Object.prototype && proto !== null) return undefined;
  return { content, structuredContent: structured } as CallResult;
}

/**
 * Runs a handler under a deadline: the returned promise settles at the deadline (or when `outer`
 * aborts) even if the handler ignores its signal. Every timer and listener is removed when it settles.
 */
export function runWithDeadline<T>(
  deadlineMs: number,
  outer: readonly CancelSource[],
  run: (signal: AbortSignal) => Promise<T>,
): { result: Promise<T>; settled: Promise<unknown>; signal: AbortSignal } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const stopped = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const error = new PublicError('timeout');
      controller.abort(error);
      reject(error);
    }, deadlineMs);
    onOuterAbort = () => {
      const error = new PublicError('cancelled');
      controller.abort(error);
      reject(error);
    };
    if (outer.some((signal) => signal.aborted)) onOuterAbort();
    else for (const signal of outer) signal.addEventListener('abort', onOuterAbort, { once: true });
  });
  stopped.catch(() => undefined);
  let handler: Promise<T>;
  try {
    handler = Promise.resolve(run(controller.signal));
  } catch (error) {
    handler = Promise.reject(error);
  }
  const cleanup = () => {
    clearTimeout(timer);
    for (const signal of outer) signal.removeEventListener('abort', onOuterAbort!);
  };
  const result = Promise.race([handler, stopped]).finally(cleanup);
  // Settles when the handler itself is done, deadline or not (used to hold the concurrency slot).
  const settled = handler.then(
    () => undefined,
    () => undefined,
  );
  return { result, settled, signal: controller.signal };
}

/** Longest progress message sent; longer ones are cut. */
const MAX_PROGRESS_MESSAGE = 200;

/**
 * The `progress` a handler gets: numbers checked, the message bounded and redacted like the result,
 * and a failure to send never failing the call. A no-op when the client asked for no progress.
 */
function progressFor(report: ProgressReporter | undefined, profile: OutputFilterProfile): ToolContext['progress'] {
  return async (progress, total, message) => {
    if (!report || !Number.isFinite(progress) || (total !== undefined && !Number.isFinite(total))) return;
    const text = message === undefined ? undefined : redactText(String(message).slice(0, MAX_PROGRESS_MESSAGE), profile).text;
    await report({ progress, ...(total !== undefined ? { total } : {}), ...(text !== undefined ? { message: text } : {}) }).catch(() => undefined);
  };
}

/** What a handler sees of its round; on the round that carried the platform's confirmation, nothing of it. */
export function inputAccessFor(round: InputRound | undefined, confirmationRound: boolean): InputAccess {
  const responses = round && !confirmationRound ? round.responses : undefined;
  return {
    responses,
    state: round && !confirmationRound ? round.claims?.p : undefined,
    canAsk: (kind) => round?.canAsk(kind) ?? false,
    seal: async (payload) => {
      if (!round) throw new PublicError('internal', [], { cause: new Error('this path serves no input rounds') });
      // A confirmed call keeps its confirmation through the handler's own rounds.
      return round.seal(payload, confirmationRound || round.claims?.c === 'given' ? 'given' : undefined);
    },
  };
}

/**
 * A handler's `input_required` return, checked against what it declares (`asks`) and with the texts
 * it sends to the client filtered like a result (redaction, moderation per profile).
 */
export async function filteredInputRequired(
  deps: Pick<InvokeDependencies, 'filter' | 'observer'>,
  declared: { readonly asks?: readonly InputKind[]; readonly outputFilter: OutputFilterProfile },
  output: InputRequiredResult,
  round: InputRound,
  signal: AbortSignal,
): Promise<InputRequiredResult> {
  const { result, texts } = checkInputRequired(output, declared.asks ?? [], round);
  if (texts.length === 0) return result;
  const filtered = await deps.filter.apply({ content: texts.map((item) => ({ type: 'text', text: item.text })) }, declared.outputFilter, signal);
  deps.observer.redactions(filtered.redactions);
  if (filtered.blocked) throw new PublicError('output_blocked');
  filtered.result.content.forEach((block, index) => texts[index]!.put(block.type === 'text' ? block.text : ''));
  return result;
}

/**
 * Calls one tool for one principal, enforcing every platform rule in order: argument shape limits →
 * strict schema validation → credential-value check → per-principal concurrency → handler with
 * deadline → output schema → output filter (redaction, moderation). Never throws: every failure
 * becomes an error result with a public message and the correlation id; the private cause goes to
 * `observer.failure`. The caller must already have checked policy (`ToolCatalog.find`).
 */
export async function invokeTool(deps: InvokeDependencies, request: InvokeRequest): Promise<CallAnswer> {
  const { tool, principal, correlationId } = request;
  const started = performance.now();
  let release: (() => void) | undefined;
  try {
    const parsed = await request.step('policy', async () =>
      checkArguments(tool.input, request.args, deps.findCredential, () => deps.observer.credentialInput(tool.name)),
    );

    const round = request.input;
    let confirmed = round?.claims?.c === 'given';
    if (tool.confirm && !confirmed) {
      // The platform's confirmation, before anything of the tool runs (input/confirm.ts).
      if (!round) throw new PublicError('internal', [], { cause: new Error('a confirm tool reached a path without input rounds') });
      const answer = round.claims?.c === 'asked' ? confirmationAnswer(round.responses) : 'missing';
      if (answer === 'declined') {
        deps.observer.toolCall(tool.name, 'declined', performance.now() - started);
        return declinedResult(tool);
      }
      if (answer === 'missing') {
        const asked = inputRequired({ inputRequests: { [CONFIRM_KEY]: confirmationRequest(tool) }, requestState: await round.seal(undefined, 'asked') });
        deps.observer.toolCall(tool.name, 'input_required', performance.now() - started);
        return asked;
      }
      confirmed = true;
    }

    release = deps.limiter.tryAcquire(`${ownerKey(principal)}#${tool.name}`, tool.concurrencyPerPrincipal);
    if (!release) throw new PublicError('busy');

    const context = {
      principal,
      correlationId,
      state: deps.stateFor(principal, tool.stateScope ?? tool.name),
      handles: deps.handlesFor(principal),
      progress: progressFor(request.progress, tool.outputFilter),
      input: inputAccessFor(round, confirmed && round?.claims?.c !== 'given'),
      log: clientLogFor(request.log, tool.name, tool.outputFilter),
    };
    const { result, settled, signal } = runWithDeadline(tool.deadlineMs, request.signals, (signal) => tool.handler(parsed, { ...context, signal }));
    // The slot is held until the handler really returns, so a handler that ignores its deadline
    // still counts against the principal's limit.
    const held = release;
    release = undefined;
    void settled.finally(held);
    const output = await request.step('tool', () => result);
    if (isInputRequiredResult(output)) {
      if (!round) throw new PublicError('internal', [], { cause: new Error('an input_required return reached a path without input rounds') });
      const asked = await filteredInputRequired(deps, tool, output, round, signal);
      deps.observer.toolCall(tool.name, 'input_required', performance.now() - started);
      return asked;
    }

    if (tool.output && output.structuredContent !== undefined) {
      const checked = tool.output.safeParse(output.structuredContent);
      if (!checked.success) throw new PublicError('internal', [], { cause: new Error('structured content does not match the output schema') });
    }
    const filtered = await request.step('filter', () => deps.filter.apply(output, tool.outputFilter, signal));
    deps.observer.redactions(filtered.redactions);
    if (filtered.blocked) throw new PublicError('output_blocked');
    const wire = wireResult(filtered.result);
    if (!wire) throw new PublicError('internal', [], { cause: new Error('the tool result is not MCP content blocks and an object of structured content') });
    deps.observer.toolCall(tool.name, 'ok', performance.now() - started);
    return wire;
  } catch (thrown) {
    const error = toPublicError(thrown);
    deps.observer.toolCall(tool.name, outcomeOf(error), performance.now() - started);
    // Server-side failures go to the error log; client mistakes (invalid or credential-shaped
    // arguments, deadlines, conflicts) are counted by outcome only.
    if (error.kind === 'internal' || error.kind === 'unavailable') {
      deps.observer.failure(correlationId, error.cause ?? error, tool.name);
    }
    return { isError: true, content: [{ type: 'text', text: publicErrorText(error, correlationId) }] };
  } finally {
    release?.();
  }
}
