import { Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { CognitoIdentityConfig } from '../config.js';
import { Identity, type IdentityParameterNames } from '../constructs/identity.js';

/** Properties of an {@link IdentityStack}. */
export interface IdentityStackProps extends StackProps {
  /** The Cognito slice of the environment's configuration. */
  readonly identity: CognitoIdentityConfig;
  /** SSM parameters through which the service stacks of every region find the pool and its clients. */
  readonly parameterNames: IdentityParameterNames;
}

/** The primary region's identity stack: the Cognito user pool the kit creates for an environment. */
export class IdentityStack extends Stack {
  /** The user pool, its resource server, clients and domain. */
  public readonly identity: Identity;

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
      parameterNames: props.parameterNames,
    });
  }
}
