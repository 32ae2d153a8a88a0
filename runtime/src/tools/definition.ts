import type { InputRequiredResult } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { ContentBlock } from '../capabilities/content.js';
import type { ClientLog } from '../logging/index.js';

/** The kinds of input a handler may ask the client for: elicitation (the user), sampling (the model), roots. */
export type InputKind = 'elicitation' | 'sampling' | 'roots';

/** An IAM statement a tool needs at run time. The CDK grants exactly these to the task role. */
export interface IamPermission {
  /** IAM actions, each `service:Action`; no wildcards. */
  readonly actions: readonly string[];
  /**
   * Resource ARNs. `${Partition}`, `${Region}` and `${Account}` are replaced by the CDK with the
   * deploying stack's values.
   */
  readonly resources: readonly string[];
}

/** Which output filters a tool's results pass through. Secret redaction is always on. */
export interface OutputFilterProfile {
  /** Redact personal data (emails, phone numbers, payment cards, IBANs, US SSNs). */
  readonly redactPersonalData: boolean;
  /** Send the text through the configured moderation provider. */
  readonly moderate: boolean;
}

/** Who may discover and call a tool. Deny by default: a principal needs every listed scope. */
export interface ToolAccess {
  /** Scopes the token must carry, all of them. Must not be empty. */
  readonly scopes: readonly string[];
  /** When present, the principal must also be in at least one of these groups. */
  readonly anyGroup?: readonly string[];
}

/** Per-user state that survives between calls and across instances (backed by the session store). */
export interface UserStateAccess {
  /** Reads the caller's state document for this tool, or `undefined`. */
  read(): Promise<{ value: unknown; version: number } | undefined>;
  /**
   * Writes the caller's state document if its version is still `expectedVersion` (0 when new).
   * Throws a `StateConflictError` when another writer got there first, `StateTooLargeError` when too large.
   */
  write(value: unknown, expectedVersion: number): Promise<{ version: number }>;
}

/**
 * Server-minted handles for state that spans calls (the modern protocol era has no session). A handle
 * is bound to the principal that minted it: possession alone never grants access.
 */
export interface HandleAccess {
  /** Stores `value` behind a new unguessable handle owned by the caller. */
  mint(kind: string, value: unknown, ttlSeconds: number): Promise<string>;
  /** The value behind `handle` if the caller minted it, it is live and of `kind`; else `undefined`. */
  resolve(handle: string, kind: string): Promise<unknown>;
}

/**
 * A handler's view of a multi round-trip request (2026-07-28 `input_required`; in the 2025 era the
 * SDK turns the same return into real server-to-client requests). A handler asks by returning
 * `inputRequired({ inputRequests, requestState })` (from `@modelcontextprotocol/server`) and reads
 * the answers here when the client retries.
 */
export interface InputAccess {
  /**
   * The client's answers to the previous round's `inputRequests`, keyed as asked, or `undefined` on
   * a first round. Untrusted input: read them with `acceptedContent(responses, key, zodSchema)` or
   * `inputResponse(responses, key)` and validate what you use.
   */
  readonly responses: Readonly<Record<string, unknown>> | undefined;
  /** The payload this tool sealed with {@link seal} in the previous round (verified, single-use), or `undefined`. */
  readonly state: unknown;
  /** Whether the client declared, for this request, that it can answer input of `kind`. Ask for no other. */
  canAsk(kind: InputKind): boolean;
  /**
   * Seals `payload` (JSON, at most 4 KiB) into the `requestState` to return with `inputRequired`:
   * encrypted, bound to the caller, this tool and these arguments, expiring and usable once. The
   * only `requestState` a handler may return.
   */
  seal(payload?: unknown): Promise<string>;
}

/** What a tool handler receives besides its validated arguments. */
export interface ToolContext {
  /** The verified caller. Never carries the token. */
  readonly principal: Principal;
  /** Aborted at the tool's deadline, when the client goes away, or on shutdown. */
  readonly signal: AbortSignal;
  /** Correlation id of the request (also the trace id). */
  readonly correlationId: string;
  /** The caller's durable state for this tool. */
  readonly state: UserStateAccess;
  /** Owner-bound handles for cross-call state. */
  readonly handles: HandleAccess;
  /**
   * Reports progress to the client, when it asked for progress (a `progressToken`); otherwise does
   * nothing. The message is redacted like the result. Never throws.
   */
  readonly progress: (progress: number, total?: number, message?: string) => Promise<void>;
  /** The previous round's answers and state, for a tool that declares `asks`. */
  readonly input: InputAccess;
  /**
   * Logs a message to the client (`notifications/message` on the call's stream), when the client
   * asked for logs at this level or below (`logging/setLevel` in the 2025 era, `_meta` `logLevel` in
   * 2026-07-28); otherwise does nothing. The message is cut to 1,000 characters and redacted like
   * the result; at most 20 are sent per call. Never throws.
   *
   * @example await ctx.log('info', `read ${count} notes`);
   */
  readonly log: ClientLog;
}

/**
 * The content a handler returns: content blocks (text, image, audio, embedded resources, resource
 * links), plus structured content when the tool declares an output schema.
 */
export interface ToolResult {
  readonly content: readonly ContentBlock[];
  readonly structuredContent?: Record<string, unknown>;
}

/** Behaviour hints for clients (MCP tool annotations). */
export interface ToolHints {
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/**
 * Declares one tool. One file per tool under `runtime/src/tools/catalog/`.
 *
 * @example
 * export const whoami = defineTool({ name: 'whoami', input: z.strictObject({}), access: { scopes: ['mcp:identity.read'] }, ... });
 */
export interface ToolDefinition<Input extends z.ZodObject = z.ZodObject> {
  /** Unique name, `^[a-z][a-z0-9_]{1,63}$`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Strict zod object: unknown keys refused, strings, arrays and numbers bounded. */
  readonly input: Input;
  /** Output schema for `structuredContent`, where the tool returns structured data. */
  readonly output?: z.ZodObject;
  readonly access: ToolAccess;
  readonly annotations?: ToolHints;
  /** Wall-clock deadline of one call, milliseconds. */
  readonly deadlineMs: number;
  /** Most calls of this tool one principal may have in flight at once. */
  readonly concurrencyPerPrincipal: number;
  readonly outputFilter: OutputFilterProfile;
  /**
   * Name of the caller's state document this tool reads and writes; tools that share state (a notes
   * reader and writer) name the same one. @default - the tool's name
   */
  readonly stateScope?: string;
  /** AWS permissions the handler needs; granted to the task role by the CDK. */
  readonly permissions?: readonly IamPermission[];
  /**
   * The kinds of input the handler may ask for by returning `inputRequired(...)`. A return asking
   * for any other kind, or from a tool that declares none, fails the call. @default - none
   */
  readonly asks?: readonly InputKind[];
  /**
   * The platform, not the tool, asks the user to confirm each call by elicitation before the handler
   * runs (a form naming the tool and its description). Declined or cancelled: nothing runs and the
   * result says so. A client that cannot elicit is refused and nothing runs (fails closed). For
   * destructive tools. @default false
   */
  readonly confirm?: boolean;
  /** Returns the result, or `inputRequired(...)` to ask for input first (see {@link asks}). */
  readonly handler: (args: z.infer<Input>, ctx: ToolContext) => Promise<ToolResult | InputRequiredResult>;
}

/** Identity function that gives a tool declaration its type. */
export function defineTool<Input extends z.ZodObject>(definition: ToolDefinition<Input>): ToolDefinition<Input> {
  return definition;
}
