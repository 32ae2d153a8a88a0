import { DEFAULT_TOOLS } from './catalog/index.js';
import type { IamPermission, ToolDefinition } from './definition.js';

/**
 * Every AWS permission the tools of the catalog declare (`ToolDefinition.permissions`). The CDK grants
 * exactly these statements to the task role, after replacing `${Partition}`, `${Region}` and
 * `${Account}` with the deploying stack's values, so the runtime's needs and the role's grants
 * come from one declaration and cannot drift.
 *
 * @param tools - the catalog the service runs. @default DEFAULT_TOOLS
 */
export function declaredToolPermissions(tools: readonly ToolDefinition[] = DEFAULT_TOOLS): readonly IamPermission[] {
  return tools.flatMap((tool) => tool.permissions ?? []);
}
