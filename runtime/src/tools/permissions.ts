import { DEFAULT_CAPABILITIES } from '../capabilities/bundled/index.js';
import type { CapabilityDeclarations } from '../capabilities/definition.js';
import { DEFAULT_TOOLS } from './catalog/index.js';
import type { IamPermission, ToolDefinition } from './definition.js';

/**
 * Every AWS permission the declarations of the catalog name: each tool's `permissions`, and each
 * resource's, resource template's and prompt's. The CDK grants exactly these statements to the task
 * role, after replacing `${Partition}`, `${Region}` and `${Account}` with the deploying stack's
 * values, so the runtime's needs and the role's grants come from one declaration and cannot drift.
 *
 * @param tools - the tools the service runs. @default DEFAULT_TOOLS
 * @param capabilities - the resources, templates and prompts it serves. @default DEFAULT_CAPABILITIES
 */
export function declaredToolPermissions(
  tools: readonly ToolDefinition[] = DEFAULT_TOOLS,
  capabilities: CapabilityDeclarations = DEFAULT_CAPABILITIES,
): readonly IamPermission[] {
  const others = [...(capabilities.resources ?? []), ...(capabilities.templates ?? []), ...(capabilities.prompts ?? [])];
  return [...tools, ...others].flatMap((declaration) => declaration.permissions ?? []);
}
