import type { Principal } from '../auth/principal.js';
import type { ToolAccess } from '../tools/definition.js';

/**
 * The one authorization decision for every capability (tools, resources, resource templates,
 * prompts, completions): the list methods show exactly what this returns true for, and every use is
 * accepted only when it returns true again at that time.
 *
 * Deny by default: every scope in `access.scopes` must be granted (an empty list denies), and when
 * `access.anyGroup` is present the principal must belong to at least one of those groups.
 */
export function mayUse(principal: Pick<Principal, 'scopes' | 'groups'>, access: ToolAccess): boolean {
  if (access.scopes.length === 0) return false;
  for (const scope of access.scopes) {
    if (!principal.scopes.includes(scope)) return false;
  }
  if (access.anyGroup !== undefined) {
    return access.anyGroup.some((group) => principal.groups.includes(group));
  }
  return true;
}

/** {@link mayUse} under the name the tool catalog has always used. */
export const mayUseTool = mayUse;
