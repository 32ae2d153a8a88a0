import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CognitoIdentityConfig } from '../config.js';
import { Identity, type IdentityBrokerClient, type IdentityParameterNames } from '../constructs/identity.js';
import { SmokeTestAccess } from '../constructs/smoke-test-access.js';

/** Properties of an {@link IdentityStack}. */
export interface IdentityStackProps extends StackProps {
  /** The Cognito slice of the environment's configuration. */
  readonly identity: CognitoIdentityConfig;
  /** SSM parameters through which the service stacks of every region find the pool and its clients. */
  readonly parameterNames: IdentityParameterNames;
  /** Other service regions; each gets its own copy of the parameters. */
  readonly parameterRegions: readonly string[];
  /**
   * The sign-in broker's confidential client (with `signIn.enabled`).
   *
   * @default - no broker client
   */
  readonly brokerClient?: IdentityBrokerClient;
  /** Deletion protection of the user pool (off for the first deployment). */
  readonly deletionProtection: boolean;
  /**
   * Lets the pipeline's smoke test read one machine client's credentials through a read-only role.
   *
   * @default - no smoke test access
   */
  readonly smokeTestAccess?: {
    /** The machine client the smoke test signs in with. */
    readonly client: string;
    /** Account of the pipeline. */
    readonly toolchainAccount: string;
    /** Name of the smoke test's CodeBuild role in the toolchain account. */
    readonly runnerRoleName: string;
    /** Name of the role to create here. */
    readonly roleName: string;
  };
}

/** The primary region's identity stack: the Cognito user pool the kit creates for an environment. */
export class IdentityStack extends Stack {
  /** The user pool, its resource server, clients and domain. */
  public readonly identity: Identity;
  /** The role the pipeline's smoke test assumes, when configured. */
  public readonly smokeTestAccess?: SmokeTestAccess;

  constructor(scope: Construct, id: string, props: IdentityStackProps) {
    super(scope, id, props);
    this.identity = new Identity(this, 'Identity', {
      domainPrefix: props.identity.domainPrefix,
      callbackUrls: props.identity.callbackUrls,
      logoutUrls: props.identity.logoutUrls,
      resourceServerId: props.identity.resourceServerId,
      scopes: props.identity.scopes,
      groups: props.identity.groups,
      machineClients: props.identity.machineClients,
      accessTokenValidity: Duration.minutes(props.identity.accessTokenMinutes),
      brokerClient: props.brokerClient,
      parameterNames: props.parameterNames,
      parameterRegions: props.parameterRegions,
      deletionProtection: props.deletionProtection,
    });
    const access = props.smokeTestAccess;
    if (access) {
      const clientParameter = props.parameterNames.machineClientId?.(access.client);
      if (!this.identity.machineClients[access.client] || clientParameter === undefined) {
        throw new Error(
          `smoke test client must be a machine client of the pool ${JSON.stringify(Object.keys(this.identity.machineClients))} (got "${access.client}")`,
        );
      }
      this.smokeTestAccess = new SmokeTestAccess(this, 'SmokeTestAccess', {
        userPool: this.identity.userPool,
        parameterNames: [props.parameterNames.userPoolId, clientParameter],
        toolchainAccount: access.toolchainAccount,
        runnerRoleName: access.runnerRoleName,
        roleName: access.roleName,
      });
    }
  }
}
