import { Duration, SecretValue, Validations } from 'aws-cdk-lib';
import {
  CfnManagedLoginBranding,
  type CfnUserPoolClient,
  OAuthScope,
  type IUserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
} from 'aws-cdk-lib/aws-cognito';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Properties of a {@link BrokerClient}. */
export interface BrokerClientProps {
  /** The user pool the broker signs users in with. */
  readonly userPool: IUserPool;
  /** The pool's managed login domain (the client's login page needs a branding style on it). */
  readonly domain: UserPoolDomain;
  /** The broker's upstream callback on the server's public origin (`https://<domainName>/oauth/callback`). */
  readonly callbackUrl: string;
  /** Name of the Secrets Manager secret that receives the client secret (fixed, so service stacks find it). */
  readonly secretName: string;
  /**
   * Further regions that get a replica of the secret, so each region's tasks read their own copy.
   *
   * @default - none
   */
  readonly secretReplicaRegions?: readonly string[];
}

/**
 * The kit's authorization server ("broker") as one confidential app client of the Cognito user pool:
 * authorization code grant only, with the broker's callback as its one redirect URI; the scopes
 * `openid`, `email` and `profile` (the broker reads the user, e-mail and `cognito:groups` from the ID
 * token and asks for nothing else; no resource-server scope, so Cognito's access tokens of this client
 * open no MCP tool). The broker sends PKCE S256 itself; Cognito honours it for every client.
 *
 * Upstream tokens are used once, right after the sign-in, and dropped, so they live as short as
 * Cognito allows: ID and access tokens 5 minutes, refresh tokens 60 minutes (never used).
 *
 * The client secret goes to a Secrets Manager secret (replicated to every service region) straight
 * from CloudFormation's `ClientSecret` attribute: no function reads it, nothing logs it. The tasks get it
 * as an ECS secret through the execution role, which may read that one secret; the task role gets no
 * Cognito permission at all. Reading it at start-up with `DescribeUserPoolClient` instead would let
 * the task read every client's secret of the pool (that action has no per-client resource).
 */
export class BrokerClient extends Construct {
  /** The confidential app client. */
  public readonly client: UserPoolClient;
  /** The secret that holds the client secret. */
  public readonly secret: Secret;

  constructor(scope: Construct, id: string, props: BrokerClientProps) {
    super(scope, id);
    const callback = new URL(props.callbackUrl);
    if (callback.protocol !== 'https:' || callback.href !== props.callbackUrl) {
      throw new Error(`callbackUrl must be a normalised https URL (got "${props.callbackUrl}")`);
    }

    this.client = new UserPoolClient(this, 'Resource', {
      userPool: props.userPool,
      generateSecret: true,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [props.callbackUrl],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.minutes(5),
      accessTokenValidity: Duration.minutes(5),
      refreshTokenValidity: Duration.minutes(60),
    });

    // Managed login shows a page only for clients that have a branding style.
    const branding = new CfnManagedLoginBranding(this, 'Branding', {
      userPoolId: props.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    branding.node.addDependency(props.domain);

    const cfnClient = this.client.node.defaultChild as CfnUserPoolClient;
    this.secret = new Secret(this, 'Secret', {
      secretName: props.secretName,
      description: 'Client secret of the MCP sign-in broker at the Cognito user pool (read by the service tasks at start)',
      secretStringValue: SecretValue.resourceAttribute(cfnClient.attrClientSecret),
      replicaRegions: (props.secretReplicaRegions ?? []).map((region) => ({ region })),
    });
    const copied =
      'The value is the Cognito app client\'s own secret, copied from CloudFormation\'s ClientSecret attribute; only ' +
      'Cognito can change it. ';
    Validations.of(this.secret).acknowledge(
      { id: 'AwsSolutions-SMG4', reason: copied + 'Rotating it means a new secret at Cognito, which the next deployment copies here.' },
      { id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason: copied + 'Rotating it means a new secret at Cognito, which the next deployment copies here.' },
      { id: 'cdk-validator-cfnguard::secretsmanager_rotation_enabled_check', reason: copied + 'Rotating it means a new secret at Cognito, which the next deployment copies here.' },
      {
        id: 'NIST.800.53.R5-SecretsManagerUsingKMSKey',
        reason:
          copied +
          'Encrypted with each region\'s AWS managed key for Secrets Manager: a customer managed key would need a ' +
          'replica key in every region before the secret, and only this account\'s execution roles may read it.',
      },
      {
        id: 'cdk-validator-cfnguard::secretsmanager_using_cmk_check',
        reason: copied + 'Encrypted with each region\'s AWS managed key for Secrets Manager (see the README).',
      },
    );
  }
}
