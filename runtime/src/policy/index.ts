import type { Principal } from '../auth/principal.js';
import type { ToolAccess } from '../tools/definition.js';

/**
 * The one authorization decision for tools: `tools/list` shows exactly the tools for which this returns
 * true, and `tools/call` is accepted only when it returns true again at call time.
 *
 * Deny by default: every scope in `access.scopes` must be granted (an empty list denies), and when
 * `access.anyGroup` is present the principal must belong to at least one of those groups.
 */
export function mayUseTool(principal: Pick<Principal, 'scopes' | 'groups'>, access: ToolAccess): boolean {
  if (access.scopes.length === 0) return false;
  for (const scope of access.scopes) {
    if (!principal.scopes.includes(scope)) return false;
  }
  if (access.anyGroup !== undefined) {
    return access.anyGroup.some((group) => principal.groups.includes(group));
  }
  return true;
}
