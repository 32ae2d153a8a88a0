import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { EnvironmentConfig } from './config.js';

/**
 * Deterministic names shared by stacks in different regions. Stacks never pass values to each other
 * across regions (CloudFormation cannot export across regions); they agree on these names instead.
 */
export interface DeploymentNames {
  /** Name of the session table; identical in every replica region. */
  readonly sessionTable: string;
  /** Secrets Manager secret (replicated to every service region) holding the runtime's requestState key. */
  readonly requestStateKeySecret: string;
  /** SSM parameter (in every service region) holding the Cognito user pool id. */
  readonly userPoolIdParameter: string;
  /** SSM parameter (in every service region) holding the comma-separated Cognito app client ids. */
  readonly clientIdsParameter: string;
  /** SSM parameter (every service region) holding the Cognito user pool's issuer URL. */
  readonly issuerParameter: string;
  /** SSM parameter (every service region) holding the sign-in broker's Cognito client id. */
  readonly brokerClientIdParameter: string;
  /**
   * Secrets Manager secret (replicated to every service region) holding the broker's Cognito client
   * secret. Underscores, not a hyphen and six characters at the end, which a partial ARN would confuse
   * with Secrets Manager's own suffix.
   */
  readonly brokerClientSecret: string;
  /** SSM parameter (every service region) holding the client id of one machine client. */
  machineClientIdParameter(client: string): string;
  /** Name of the role in this environment's account that the pipeline's smoke test assumes. */
  readonly smokeTestReaderRole: string;
  /** CloudFormation stack name of the data stack. */
  readonly dataStack: string;
  /** CloudFormation stack name of the identity stack. */
  readonly identityStack: string;
  /** CloudFormation stack name of the service stack in one region. */
  serviceStack(region: string): string;
  /** Alias of the broker's token signing key, the same in every region (primary and replicas). */
  readonly tokenSigningKeyAlias: string;
  /** SSM parameter (every service region) holding the ARN of the token signing key's multi-Region primary. */
  readonly tokenSigningKeyParameter: string;
}

/** Name of the smoke test's CodeBuild role in the toolchain account (fixed, so staging can trust it by ARN). */
export function smokeTestRunnerRoleName(appName: string): string {
  return `${appName}-smoke-test`;
}

/** Names for one environment of one deployment. */
export function deploymentNames(appName: string, env: Pick<EnvironmentConfig, 'name'>): DeploymentNames {
  const prefix = `${appName}-${env.name}`;
  return {
    sessionTable: `${prefix}-sessions`,
    requestStateKeySecret: `${appName}/${env.name}/request-state-key`,
    userPoolIdParameter: `/${appName}/${env.name}/identity/user-pool-id`,
    clientIdsParameter: `/${appName}/${env.name}/identity/client-ids`,
    issuerParameter: `/${appName}/${env.name}/identity/issuer`,
    brokerClientIdParameter: `/${appName}/${env.name}/identity/broker-client-id`,
    brokerClientSecret: `${appName}/${env.name}/identity/broker_client_secret`,
    machineClientIdParameter: (client: string) => `/${appName}/${env.name}/identity/machine-clients/${client}/client-id`,
    smokeTestReaderRole: `${prefix}-smoke-test-reader`,
    dataStack: `${prefix}-data`,
    identityStack: `${prefix}-identity`,
    serviceStack: (region: string) => `${prefix}-service-${region}`,
    tokenSigningKeyAlias: `alias/${prefix}-token-signing`,
    tokenSigningKeyParameter: `/${appName}/${env.name}/sign-in/token-signing-key-arn`,
  };
}

/**
 * The ids of a construct's path inside its stack (`['Mcp', 'Service']`): the same whether the stack
 * sits in a stage at the app root (`cdk deploy`) or in a stage inside the pipeline stack. Names built
 * from it keep `cdk deploy` and the pipeline writing identical templates.
 */
export function idsInStack(construct: IConstruct): string[] {
  const stack = Stack.of(construct);
  const scopes = construct.node.scopes;
  return scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
}
