import type { Tool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { mayUseTool } from '../policy/index.js';
import type { ToolDefinition } from './definition.js';
import { paramHeadersOf, type ParamHeader } from './param-headers.js';

/** The descriptor `tools/list` returns for one tool, computed once. */
export type ToolDescriptor = Tool;

const TOOL_NAME = /^[a-z][a-z0-9_]{1,63}$/;

function jsonSchemaOf(schema: z.ZodType): Tool['inputSchema'] {
  // Published as JSON Schema 2020-12 with its `$schema`, the dialect MCP tool schemas default to.
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
  return { ...json, type: 'object' };
}

/** Every scope the given tools require, de-duplicated and sorted (the server's `scopes_supported`). */
export function catalogScopes(definitions: readonly Pick<ToolDefinition, 'access'>[]): string[] {
  return [...new Set(definitions.flatMap((definition) => definition.access.scopes))].sort();
}

const INPUT_KINDS: ReadonlySet<string> = new Set(['elicitation', 'sampling', 'roots']);

/**
 * The set of tools this server offers, checked and converted once at start-up. Everything the
 * request path needs (descriptors, JSON schemas, the scope list) is precomputed here.
 */
export class ToolCatalog {
  /** Every scope any tool requires, sorted: the server's `scopes_supported`. */
  readonly scopes: readonly string[];
  private readonly byName: ReadonlyMap<string, { definition: ToolDefinition; descriptor: ToolDescriptor; paramHeaders: readonly ParamHeader[] }>;

  /**
   * @param definitions - the tools; names must be unique and match `^[a-z][a-z0-9_]{1,63}$`.
   * @param check - a start-up check over the definitions (the credential and injection lint); throws to refuse.
   * @throws Error naming the tool when a definition is not acceptable.
   */
  constructor(definitions: readonly ToolDefinition[], check?: (definitions: readonly ToolDefinition[]) => void) {
    const byName = new Map<string, { definition: ToolDefinition; descriptor: ToolDescriptor; paramHeaders: readonly ParamHeader[] }>();
    for (const definition of definitions) {
      if (!TOOL_NAME.test(definition.name)) throw new Error(`tool name must match ${TOOL_NAME} (got "${definition.name}")`);
      if (byName.has(definition.name)) throw new Error(`tool names must be unique (got "${definition.name}" twice)`);
      if (definition.access.scopes.length === 0) throw new Error(`tool "${definition.name}" must require at least one scope`);
      if (!(definition.deadlineMs > 0) || !(definition.concurrencyPerPrincipal > 0)) {
        throw new Error(`tool "${definition.name}" needs a positive deadline and concurrency limit`);
      }
      for (const kind of definition.asks ?? []) {
        if (!INPUT_KINDS.has(kind)) throw new Error(`tool "${definition.name}" asks for an unknown kind of input (got "${String(kind)}")`);
      }
      const inputSchema = jsonSchemaOf(definition.input);
      let paramHeaders: readonly ParamHeader[];
      try {
        paramHeaders = paramHeadersOf(inputSchema);
      } catch (error) {
        throw new Error(`tool "${definition.name}": ${(error as Error).message}`);
      }
      byName.set(definition.name, {
        definition,
        paramHeaders,
        descriptor: {
          name: definition.name,
          title: definition.title,
          description: definition.description,
          inputSchema,
          ...(definition.output ? { outputSchema: jsonSchemaOf(definition.output) } : {}),
          ...(definition.annotations ? { annotations: { title: definition.title, ...definition.annotations } } : {}),
        },
      });
    }
    check?.(definitions);
    this.byName = byName;
    this.scopes = catalogScopes(definitions);
  }

  /** All definitions, in declaration order. */
  definitions(): ToolDefinition[] {
    return [...this.byName.values()].map((entry) => entry.definition);
  }

  /** The descriptors of the tools this principal may use (the same decision `find` makes). */
  listFor(principal: Principal): ToolDescriptor[] {
    const visible: ToolDescriptor[] = [];
    for (const { definition, descriptor } of this.byName.values()) {
      if (mayUseTool(principal, definition.access)) visible.push(descriptor);
    }
    return visible;
  }

  /**
   * The parameters the tool mirrors into `Mcp-Param-*` headers, for a tool this principal may use;
   * none for an unknown or hidden tool (so its answer stays that of an unknown tool).
   */
  paramHeaders(principal: Principal, name: string): readonly ParamHeader[] {
    const entry = this.byName.get(name);
    return entry && mayUseTool(principal, entry.definition.access) ? entry.paramHeaders : [];
  }

  /**
   * The definition of a tool this principal may use, or `undefined` when it does not exist or is
   * hidden from them: the caller cannot tell the two apart.
   */
  find(principal: Principal, name: string): ToolDefinition | undefined {
    const entry = this.byName.get(name);
    if (!entry || !mayUseTool(principal, entry.definition.access)) return undefined;
    return entry.definition;
  }
}
