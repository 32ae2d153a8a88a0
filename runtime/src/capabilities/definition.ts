import type { InputRequiredResult } from '@modelcontextprotocol/server';
import type { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import type { IamPermission, InputAccess, InputKind, OutputFilterProfile, ToolAccess } from '../tools/definition.js';
import type { ContentBlock, ResourceContents } from './content.js';

/**
 * Declarations of the MCP capabilities beside tools: resources, resource templates and prompts, with
 * completions for their arguments. Each carries the same platform controls as a tool: who may
 * discover and use it (`access`), strict and bounded arguments (zod), the AWS permissions its
 * handler needs, a deadline and a per-principal concurrency limit, and the output filter profile its
 * contents pass through.
 */

/** What every declared capability carries besides its own fields. */
export interface CapabilityControls {
  /** Who may discover and use it; the same rule as for tools (deny by default). */
  readonly access: ToolAccess;
  /** Wall-clock deadline of one read or get, milliseconds. */
  readonly deadlineMs: number;
  /** Most reads or gets one principal may have in flight at once. */
  readonly concurrencyPerPrincipal: number;
  /** Which output filters the contents pass through (secret redaction is always on). */
  readonly outputFilter: OutputFilterProfile;
  /** AWS permissions the handler needs; granted to the task role by the CDK. */
  readonly permissions?: readonly IamPermission[];
}

/** What a resource, template or prompt handler receives. */
export interface CapabilityContext {
  /** The verified caller. Never carries the token. */
  readonly principal: Principal;
  /** Aborted at the deadline, when the client goes away, or on shutdown. */
  readonly signal: AbortSignal;
  /** Correlation id of the request (also the trace id). */
  readonly correlationId: string;
}

/** Completion values for one argument, from what the client typed so far. */
export type ArgumentCompleter = (value: string, ctx: CapabilityContext) => Promise<readonly string[]>;

/** A fixed resource, listed by `resources/list`. */
export interface ResourceDefinition extends CapabilityControls {
  /** Absolute URI, unique in the catalog. */
  readonly uri: string;
  /** Unique name, `^[a-z][a-z0-9_]{1,63}$`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly mimeType: string;
  readonly read: (ctx: CapabilityContext) => Promise<readonly ResourceContents[]>;
}

/**
 * A family of resources named by an RFC 6570 URI template (`docs://documents/{id}`), listed by
 * `resources/templates/list`. The template's variables are validated by `arguments`, a strict zod
 * object of bounded strings, exactly as tool arguments are.
 */
export interface ResourceTemplateDefinition<Args extends z.ZodObject = z.ZodObject> extends CapabilityControls {
  readonly uriTemplate: string;
  /** Unique name, `^[a-z][a-z0-9_]{1,63}$`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly mimeType: string;
  /** Strict zod object with one bounded string per template variable. */
  readonly arguments: Args;
  /** Completions per variable (`completion/complete` with a `ref/resource`). */
  readonly complete?: Partial<Record<keyof z.infer<Args> & string, ArgumentCompleter>>;
  readonly read: (args: z.infer<Args>, ctx: CapabilityContext & { readonly uri: string }) => Promise<readonly ResourceContents[]>;
}

/** One message of a `prompts/get` answer. */
export interface PromptMessage {
  readonly role: 'user' | 'assistant';
  readonly content: ContentBlock;
}

/** A prompt template, listed by `prompts/list` and filled in by `prompts/get`. */
export interface PromptDefinition<Args extends z.ZodObject = z.ZodObject> extends CapabilityControls {
  /** Unique name, `^[a-z][a-z0-9_]{1,63}$`. */
  readonly name: string;
  readonly title: string;
  readonly description: string;
  /** Strict zod object of bounded strings (prompt arguments are strings on the wire). */
  readonly arguments: Args;
  /** Completions per argument (`completion/complete` with a `ref/prompt`). */
  readonly complete?: Partial<Record<keyof z.infer<Args> & string, ArgumentCompleter>>;
  /** The kinds of input `get` may ask for by returning `inputRequired(...)` (as for tools). @default - none */
  readonly asks?: readonly InputKind[];
  readonly get: (
    args: z.infer<Args>,
    ctx: CapabilityContext & { readonly input: InputAccess },
  ) => Promise<{ readonly description?: string; readonly messages: readonly PromptMessage[] } | InputRequiredResult>;
}

/** Identity function that gives a resource declaration its type. */
export function defineResource(definition: ResourceDefinition): ResourceDefinition {
  return definition;
}

/** Identity function that gives a resource template declaration its type. */
export function defineResourceTemplate<Args extends z.ZodObject>(definition: ResourceTemplateDefinition<Args>): ResourceTemplateDefinition<Args> {
  return definition;
}

/** Identity function that gives a prompt declaration its type. */
export function definePrompt<Args extends z.ZodObject>(definition: PromptDefinition<Args>): PromptDefinition<Args> {
  return definition;
}

/** Everything beside tools a server offers. */
export interface CapabilityDeclarations {
  readonly resources?: readonly ResourceDefinition[];
  readonly templates?: readonly ResourceTemplateDefinition[];
  readonly prompts?: readonly PromptDefinition[];
}
