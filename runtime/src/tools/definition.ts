import type { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { ContentBlock } from '../capabilities/content.js';

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
  readonly handler: (args: z.infer<Input>, ctx: ToolContext) => Promise<ToolResult>;
}

/** Identity function that gives a tool declaration its type. */
export function defineTool<Input extends z.ZodObject>(definition: ToolDefinition<Input>): ToolDefinition<Input> {
  return definition;
}
