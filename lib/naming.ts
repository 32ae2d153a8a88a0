import type { EnvironmentConfig } from './config.js';

/**
 * Deterministic names shared by stacks in different regions. Stacks never pass values to each other
 * across regions (CloudFormation cannot export across regions); they agree on these names instead.
 */
export interface DeploymentNames {
  /** Name of the session table; identical in every replica region. */
  readonly sessionTable: string;
  /** SSM parameter (primary region) holding the Cognito user pool id. */
  readonly userPoolIdParameter: string;
  /** SSM parameter (primary region) holding the comma-separated Cognito app client ids. */
  readonly clientIdsParameter: string;
  /** CloudFormation stack name of the data stack. */
  readonly dataStack: string;
  /** CloudFormation stack name of the identity stack. */
  readonly identityStack: string;
  /** CloudFormation stack name of the service stack in one region. */
  serviceStack(region: string): string;
}

/** Names for one environment of one deployment. */
export function deploymentNames(appName: string, env: Pick<EnvironmentConfig, 'name'>): DeploymentNames {
  const prefix = `${appName}-${env.name}`;
  return {
    sessionTable: `${prefix}-sessions`,
    userPoolIdParameter: `/${appName}/${env.name}/identity/user-pool-id`,
    clientIdsParameter: `/${appName}/${env.name}/identity/client-ids`,
    dataStack: `${prefix}-data`,
    identityStack: `${prefix}-identity`,
    serviceStack: (region: string) => `${prefix}-service-${region}`,
  };
}
