import { UriTemplate, type Prompt, type Resource, type ResourceTemplateType as ResourceTemplate } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { mayUse } from '../policy/index.js';
import type { LintableTool } from '../tools/lint.js';
import type {
  ArgumentCompleter,
  CapabilityControls,
  CapabilityDeclarations,
  PromptDefinition,
  ResourceDefinition,
  ResourceTemplateDefinition,
} from './definition.js';

const PROMPT_NAME = /^[a-z][a-z0-9_]{1,63}$/;
const RESOURCE_NAME = PROMPT_NAME;

/** What `resources/read` resolved a URI to, for a principal that may read it. */
export type ResolvedResource =
  | { readonly kind: 'resource'; readonly definition: ResourceDefinition }
  | { readonly kind: 'template'; readonly definition: ResourceTemplateDefinition; readonly variables: Record<string, unknown> };

/** A completion source a principal may use, with the controls of what it completes for. */
export interface ResolvedCompleter {
  readonly name: string;
  readonly controls: CapabilityControls;
  readonly complete: ArgumentCompleter;
}

function checkControls(kind: string, name: string, controls: CapabilityControls): void {
  if (controls.access.scopes.length === 0) throw new Error(`${kind} "${name}" must require at least one scope`);
  if (!(controls.deadlineMs > 0) || !(controls.concurrencyPerPrincipal > 0)) {
    throw new Error(`${kind} "${name}" needs a positive deadline and concurrency limit`);
  }
}

/** The MCP prompt arguments of a strict zod object: one per key, required unless optional. */
function promptArguments(schema: z.ZodObject): Prompt['arguments'] {
  return Object.entries(schema.shape).map(([name, field]) => {
    const type = field as z.ZodType;
    return {
      name,
      ...(type.description !== undefined ? { description: type.description } : {}),
      required: !type.safeParse(undefined).success,
    };
  });
}

/**
 * Resources, resource templates and prompts this server offers, checked and converted once at
 * start-up. Discovery and use are decided by the one policy (`mayUse`): the list methods return
 * exactly what a principal may use, and every lookup answers `undefined` both for what does not
 * exist and for what the principal may not use, so callers answer the two alike.
 */
export class CapabilityCatalog {
  /** Every scope any resource, template or prompt requires, sorted. */
  readonly scopes: readonly string[];
  readonly hasResources: boolean;
  readonly hasPrompts: boolean;
  readonly hasCompletions: boolean;
  private readonly resources: ReadonlyMap<string, { definition: ResourceDefinition; descriptor: Resource }>;
  private readonly templates: ReadonlyArray<{ definition: ResourceTemplateDefinition; template: UriTemplate; descriptor: ResourceTemplate }>;
  private readonly prompts: ReadonlyMap<string, { definition: PromptDefinition; descriptor: Prompt }>;

  /**
   * @param declarations - the resources, templates and prompts; names, URIs and templates must be unique.
   * @param check - a start-up check over every declaration's name, texts and arguments (the
   *   credential and injection lint tools pass); throws to refuse.
   * @throws Error naming the declaration when one is not acceptable.
   */
  constructor(declarations: CapabilityDeclarations, check?: (lintables: readonly LintableTool[]) => void) {
    const resources = new Map<string, { definition: ResourceDefinition; descriptor: Resource }>();
    const names = new Set<string>();
    const uniqueName = (kind: string, name: string, pattern: RegExp) => {
      if (!pattern.test(name)) throw new Error(`${kind} name must match ${pattern} (got "${name}")`);
      if (names.has(`${kind}:${name}`)) throw new Error(`${kind} names must be unique (got "${name}" twice)`);
      names.add(`${kind}:${name}`);
    };
    for (const definition of declarations.resources ?? []) {
      uniqueName('resource', definition.name, RESOURCE_NAME);
      checkControls('resource', definition.name, definition);
      if (!URL.canParse(definition.uri)) throw new Error(`resource "${definition.name}" must have an absolute URI (got "${definition.uri}")`);
      if (resources.has(definition.uri)) throw new Error(`resource URIs must be unique (got "${definition.uri}" twice)`);
      resources.set(definition.uri, {
        definition,
        descriptor: { uri: definition.uri, name: definition.name, title: definition.title, description: definition.description, mimeType: definition.mimeType },
      });
    }
    const templates = (declarations.templates ?? []).map((definition) => {
      uniqueName('resource', definition.name, RESOURCE_NAME);
      checkControls('resource template', definition.name, definition);
      const template = new UriTemplate(definition.uriTemplate);
      const declared = new Set(template.variableNames);
      const keys = Object.keys(definition.arguments.shape);
      if (keys.length !== declared.size || keys.some((key) => !declared.has(key))) {
        throw new Error(`resource template "${definition.name}" must declare exactly its URI variables as arguments (got ${keys.join(', ') || 'none'})`);
      }
      return {
        definition,
        template,
        descriptor: { uriTemplate: definition.uriTemplate, name: definition.name, title: definition.title, description: definition.description, mimeType: definition.mimeType },
      };
    });
    const prompts = new Map<string, { definition: PromptDefinition; descriptor: Prompt }>();
    for (const definition of declarations.prompts ?? []) {
      uniqueName('prompt', definition.name, PROMPT_NAME);
      checkControls('prompt', definition.name, definition);
      prompts.set(definition.name, {
        definition,
        descriptor: { name: definition.name, title: definition.title, description: definition.description, arguments: promptArguments(definition.arguments) },
      });
    }
    check?.([
      ...[...resources.values()].map(({ definition }) => ({ name: definition.name, title: definition.title, description: definition.description, input: z.strictObject({}) })),
      ...templates.map(({ definition }) => ({ name: definition.name, title: definition.title, description: definition.description, input: definition.arguments })),
      ...[...prompts.values()].map(({ definition }) => ({ name: definition.name, title: definition.title, description: definition.description, input: definition.arguments })),
    ]);
    this.resources = resources;
    this.templates = templates;
    this.prompts = prompts;
    this.hasResources = resources.size > 0 || templates.length > 0;
    this.hasPrompts = prompts.size > 0;
    this.hasCompletions = templates.some(({ definition }) => definition.complete) || [...prompts.values()].some(({ definition }) => definition.complete);
    const all: CapabilityControls[] = [...[...resources.values()].map((entry) => entry.definition), ...templates.map((entry) => entry.definition), ...[...prompts.values()].map((entry) => entry.definition)];
    this.scopes = [...new Set(all.flatMap((controls) => controls.access.scopes))].sort();
  }

  /** Every declaration, for the permissions the CDK grants. */
  declarations(): CapabilityControls[] {
    return [...[...this.resources.values()].map((entry) => entry.definition), ...this.templates.map((entry) => entry.definition), ...[...this.prompts.values()].map((entry) => entry.definition)];
  }

  /** The fixed resources this principal may read. */
  listResources(principal: Principal): Resource[] {
    return [...this.resources.values()].filter(({ definition }) => mayUse(principal, definition.access)).map((entry) => entry.descriptor);
  }

  /** The resource templates this principal may read. */
  listTemplates(principal: Principal): ResourceTemplate[] {
    return this.templates.filter(({ definition }) => mayUse(principal, definition.access)).map((entry) => entry.descriptor);
  }

  /** The prompts this principal may get. */
  listPrompts(principal: Principal): Prompt[] {
    return [...this.prompts.values()].filter(({ definition }) => mayUse(principal, definition.access)).map((entry) => entry.descriptor);
  }

  /**
   * What `uri` names for this principal: a fixed resource, or the first template that matches it
   * with its variables; `undefined` when nothing matches or the principal may not read it.
   */
  findResource(principal: Principal, uri: string): ResolvedResource | undefined {
    const fixed = this.resources.get(uri);
    if (fixed) return mayUse(principal, fixed.definition.access) ? { kind: 'resource', definition: fixed.definition } : undefined;
    for (const { definition, template } of this.templates) {
      const variables = template.match(uri);
      if (variables && mayUse(principal, definition.access)) return { kind: 'template', definition, variables };
    }
    return undefined;
  }

  /** The prompt this principal may get, or `undefined` (missing and hidden alike). */
  findPrompt(principal: Principal, name: string): PromptDefinition | undefined {
    const entry = this.prompts.get(name);
    return entry && mayUse(principal, entry.definition.access) ? entry.definition : undefined;
  }

  /**
   * The completer of argument `argument` of a prompt (`ref/prompt`, by name) or a template
   * (`ref/resource`, by its URI template), if the principal may use what it belongs to.
   */
  findCompleter(principal: Principal, ref: { type: string; name?: string; uri?: string }, argument: string): ResolvedCompleter | undefined {
    let owner: PromptDefinition | ResourceTemplateDefinition | undefined;
    if (ref.type === 'ref/prompt' && typeof ref.name === 'string') owner = this.findPrompt(principal, ref.name);
    else if (ref.type === 'ref/resource' && typeof ref.uri === 'string') {
      owner = this.templates.find(({ definition }) => definition.uriTemplate === ref.uri && mayUse(principal, definition.access))?.definition;
    }
    const complete = owner?.complete?.[argument as never] as ArgumentCompleter | undefined;
    return owner && complete && Object.hasOwn(owner.complete!, argument) ? { name: owner.name, controls: owner, complete } : undefined;
  }
}
