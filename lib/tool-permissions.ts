import { Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';
import type { IamPermission } from '../runtime/src/tools/definition.js';

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9]+$/;
const PLACEHOLDER = /\$\{(\w+)\}/g;

/**
 * Turns the permissions the tools declare into IAM statements for the task role, replacing
 * `${Partition}`, `${Region}` and `${Account}` with the values of the stack that holds `scope`.
 *
 * A declaration is refused when it could grant more than it names: an action with a wildcard
 * (`s3:*`, `s3:Get*`, `*`), a resource that is only `*`, or an unknown placeholder.
 *
 * @throws Error naming the offending action, resource or placeholder
 */
export function toolPolicyStatements(permissions: readonly IamPermission[], scope: IConstruct): PolicyStatement[] {
  const stack = Stack.of(scope);
  const values: Readonly<Record<string, string>> = {
    Partition: stack.partition,
    Region: stack.region,
    Account: stack.account,
  };
  return permissions.map((permission, index) => {
    if (permission.actions.length === 0) {
      throw new Error(`tool permission ${index} must name at least one action (got [])`);
    }
    if (permission.resources.length === 0) {
      throw new Error(`tool permission ${index} must name at least one resource (got [])`);
    }
    for (const action of permission.actions) {
      if (!ACTION.test(action)) {
        throw new Error(`tool permission ${index} must name actions as "service:Action" without wildcards (got "${action}")`);
      }
    }
    const resources = permission.resources.map((resource) => {
      if (resource.trim() === '*') {
        throw new Error(`tool permission ${index} must name its resources; "*" is not accepted (got "${resource}")`);
      }
      return resource.replace(PLACEHOLDER, (match, name: string) => {
        const value = values[name];
        if (value === undefined) {
          throw new Error(`tool permission ${index} uses an unknown placeholder (got "${match}")`);
        }
        return value;
      });
    });
    return new PolicyStatement({ effect: Effect.ALLOW, actions: [...permission.actions], resources });
  });
}
