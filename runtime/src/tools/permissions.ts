import type { IamPermission } from './definition.js';

/**
 * Every AWS permission the tools of the catalog declare (`ToolDefinition.permissions`). The CDK grants
 * exactly these statements to the task role, after replacing `${Partition}`, `${Region}` and
 * `${Account}` with the deploying stack's values.
 *
 * The tool catalog fills this in from its tool declarations; until then no tool needs AWS access.
 */
export function declaredToolPermissions(): readonly IamPermission[] {
  return [];
}
