import { Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  CfnUserPoolClient,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  UserPool,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  UserPoolDomain,
  UserPoolGroup,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { BrokerClient } from './broker-client.js';
import { RegionalParameters } from './regional-parameters.js';

/** One OAuth scope of the MCP resource server. */
export interface IdentityScope {
  /** Scope name; tokens carry `<resourceServerId>/<name>`. */
  readonly name: string;
  /** What the scope allows, shown on consent screens and in the console. */
  readonly description: string;
}

/** A user group the tool policy can refer to. */
export interface IdentityGroup {
  /** Group name, as it appears in the `cognito:groups` claim. */
  readonly name: string;
  /**
   * Description shown in the console.
   *
   * @default - no description
   */
  readonly description?: string;
}

/** A confidential app client for the client credentials grant. */
export interface MachineClient {
  /** Client name (unique within the pool). */
  readonly name: string;
  /** Scope names of the resource server the client may request. */
  readonly scopes: readonly string[];
}

/** Names of the SSM parameters through which services in every region find the pool. */
export interface IdentityParameterNames {
  /** Parameter that receives the user pool id. */
  readonly userPoolId: string;
  /** Parameter that receives the comma-separated app client ids the runtime accepts. */
  readonly clientIds: string;
  /**
   * Parameter that receives the client id of one machine client.
   *
   * @default - machine client ids are not published
   */
  readonly machineClientId?: (client: string) => string;
  /**
   * Parameter that receives the pool's issuer URL (the broker's upstream issuer).
   *
   * @default - not published
   */
  readonly issuer?: string;
  /**
   * Parameter that receives the broker's client id, when there is a broker client.
   *
   * @default - not published
   */
  readonly brokerClientId?: string;
}

/** The sign-in broker's confidential client (see {@link BrokerClient}). */
export interface IdentityBrokerClient {
  /** The broker's upstream callback: `https://<domainName>/oauth/callback`. */
  readonly callbackUrl: string;
  /** Name of the Secrets Manager secret that receives the client secret. */
  readonly secretName: string;
}

/** Properties of an {@link Identity}. */
export interface IdentityProps {
  /** Prefix of the managed login domain `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainPrefix: string;
  /** Redirect URIs of the interactive MCP client (authorization code flow with PKCE). */
  readonly callbackUrls: readonly string[];
  /**
   * Sign-out URLs of the interactive client.
   *
   * @default - none
   */
  readonly logoutUrls?: readonly string[];
  /**
   * Identifier of the resource server that represents the MCP server.
   *
   * @default 'mcp'
   */
  readonly resourceServerId?: string;
  /** Scopes of the resource server; at least one. */
  readonly scopes: readonly IdentityScope[];
  /**
   * User groups.
   *
   * @default - none
   */
  readonly groups?: readonly IdentityGroup[];
  /**
   * Confidential clients for machine-to-machine calls.
   *
   * @default - none
   */
  readonly machineClients?: readonly MachineClient[];
  /**
   * Lifetime of access tokens.
   *
   * @default Duration.minutes(15)
   */
  readonly accessTokenValidity?: Duration;
  /**
   * A confidential client for the kit's sign-in broker. It is not one of the accepted `clientIds`:
   * the broker issues its own tokens, and Cognito's tokens of this client carry no MCP scope.
   *
   * @default - no broker client
   */
  readonly brokerClient?: IdentityBrokerClient;
  /**
   * SSM parameters to publish the pool id and the accepted client ids to (in this stack's region).
   *
   * @default - nothing is published
   */
  readonly parameterNames?: IdentityParameterNames;
  /**
   * Further regions that get their own copy of every parameter, so that a service there never reads
   * this region's parameters when a task starts.
   *
   * @default - none
   */
  readonly parameterRegions?: readonly string[];
  /**
   * What happens to the user pool when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except after a failed first create)
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Deletion protection of the user pool. Leave it off for the first deployment: a failed first create
   * rolls back by deleting the pool, which deletion protection refuses.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The Cognito side of the MCP server's OAuth 2.1 setup: a user pool without self sign-up, with
 * required TOTP MFA, threat protection in full-function mode and a strong password policy; a resource
 * server with narrow scopes; groups; a public app client for the authorization code flow (no implicit
 * grant, no client secret: MCP clients are public clients and use PKCE); optional confidential
 * clients for the client credentials grant; and a managed login domain.
 */
export class Identity extends Construct {
  /** The user pool. */
  public readonly userPool: UserPool;
  /** The resource server that represents the MCP server. */
  public readonly resourceServer: UserPoolResourceServer;
  /** The public client MCP clients use for the authorization code flow with PKCE. */
  public readonly interactiveClient: UserPoolClient;
  /** Confidential clients for the client credentials grant, by name. */
  public readonly machineClients: Readonly<Record<string, UserPoolClient>>;
  /** The managed login domain. */
  public readonly domain: UserPoolDomain;
  /** Base URL of the managed login domain. */
  public readonly domainUrl: string;
  /** The `iss` of tokens issued by this pool. */
  public readonly issuerUrl: string;
  /** The sign-in broker's client and its secret, when requested. */
  public readonly brokerClient?: BrokerClient;
  /** Every app client id the runtime should accept. */
  public readonly clientIds: readonly string[];
  /** The copies of the parameters in the other service regions, when there are any. */
  public readonly regionalParameters?: RegionalParameters;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);

    if (props.scopes.length === 0) {
      throw new Error('scopes must not be empty (got [])');
    }
    if (props.callbackUrls.length === 0) {
      throw new Error('callbackUrls must not be empty (got [])');
    }
    const declared = new Set(props.scopes.map((s) => s.name));
    for (const client of props.machineClients ?? []) {
      const unknown = client.scopes.find((s) => !declared.has(s));
      if (unknown !== undefined) {
        throw new Error(`machine client "${client.name}" asks for an undeclared scope (got "${unknown}")`);
      }
    }
    const region = Stack.of(this).region;

    this.userPool = new UserPool(this, 'Resource', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
        passwordHistorySize: 12,
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: props.deletionProtection ?? false,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    const scopes = props.scopes.map((s) => new ResourceServerScope({ scopeName: s.name, scopeDescription: s.description }));
    this.resourceServer = this.userPool.addResourceServer('ResourceServer', {
      identifier: props.resourceServerId ?? 'mcp',
      scopes,
    });
    const oauthScope = (name: string): OAuthScope => {
      const scope = scopes.find((s) => s.scopeName === name);
      if (!scope) throw new Error(`scope is not declared (got "${name}")`);
      return OAuthScope.resourceServer(this.resourceServer, scope);
    };

    for (const group of props.groups ?? []) {
      new UserPoolGroup(this, `Group${group.name}`, {
        userPool: this.userPool,
        groupName: group.name,
        description: group.description || undefined,
      });
    }

    const accessTokenValidity = props.accessTokenValidity ?? Duration.minutes(15);
    this.interactiveClient = this.userPool.addClient('InteractiveClient', {
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true, implicitCodeGrant: false, clientCredentials: false },
        scopes: [OAuthScope.OPENID, ...props.scopes.map((s) => oauthScope(s.name))],
        callbackUrls: [...props.callbackUrls],
        logoutUrls: props.logoutUrls && props.logoutUrls.length > 0 ? [...props.logoutUrls] : undefined,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity,
      idTokenValidity: accessTokenValidity,
      refreshTokenValidity: Duration.hours(12),
      refreshTokenRotationGracePeriod: Duration.seconds(60),
    });
    this.interactiveClient.node.addDependency(this.resourceServer);

    const machineClients: Record<string, UserPoolClient> = {};
    for (const client of props.machineClients ?? []) {
      const appClient = this.userPool.addClient(`MachineClient${client.name}`, {
        userPoolClientName: client.name,
        generateSecret: true,
        oAuth: {
          flows: { clientCredentials: true, authorizationCodeGrant: false, implicitCodeGrant: false },
          scopes: client.scopes.map(oauthScope),
        },
        supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        accessTokenValidity,
      });
      // A machine client signs in with the client credentials grant only: no user sign-in flows.
      (appClient.node.defaultChild as CfnUserPoolClient).addPropertyOverride('ExplicitAuthFlows', [
        'ALLOW_REFRESH_TOKEN_AUTH',
      ]);
      appClient.node.addDependency(this.resourceServer);
      machineClients[client.name] = appClient;
    }
    this.machineClients = machineClients;

    this.domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: props.domainPrefix },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    // Managed login shows a page only for clients that have a branding style.
    const branding = new CfnManagedLoginBranding(this, 'InteractiveClientBranding', {
      userPoolId: this.userPool.userPoolId,
      clientId: this.interactiveClient.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    branding.node.addDependency(this.domain);

    if (props.brokerClient) {
      this.brokerClient = new BrokerClient(this, 'BrokerClient', {
        userPool: this.userPool,
        domain: this.domain,
        callbackUrl: props.brokerClient.callbackUrl,
        secretName: props.brokerClient.secretName,
        secretReplicaRegions: props.parameterRegions,
      });
    }

    this.domainUrl = `https://${props.domainPrefix}.auth.${region}.amazoncognito.com`;
    this.issuerUrl = `https://cognito-idp.${region}.amazonaws.com/${this.userPool.userPoolId}`;
    this.clientIds = [
      this.interactiveClient.userPoolClientId,
      ...Object.values(machineClients).map((c) => c.userPoolClientId),
    ];

    if (props.parameterNames) {
      const names = props.parameterNames;
      const values: Record<string, string> = {
        [names.userPoolId]: this.userPool.userPoolId,
        [names.clientIds]: Fn.join(',', [...this.clientIds]),
      };
      new StringParameter(this, 'UserPoolIdParameter', {
        parameterName: names.userPoolId,
        stringValue: values[names.userPoolId]!,
        description: 'Cognito user pool id of the MCP server (read by the service when a task starts)',
      });
      new StringParameter(this, 'ClientIdsParameter', {
        parameterName: names.clientIds,
        stringValue: values[names.clientIds]!,
        description: 'Comma-separated Cognito app client ids the MCP server accepts',
      });
      if (names.issuer) {
        values[names.issuer] = this.issuerUrl;
        new StringParameter(this, 'IssuerParameter', {
          parameterName: names.issuer,
          stringValue: this.issuerUrl,
          description: 'Issuer URL of the Cognito user pool (the sign-in broker\'s upstream identity provider)',
        });
      }
      if (names.brokerClientId && this.brokerClient) {
        values[names.brokerClientId] = this.brokerClient.client.userPoolClientId;
        new StringParameter(this, 'BrokerClientIdParameter', {
          parameterName: names.brokerClientId,
          stringValue: this.brokerClient.client.userPoolClientId,
          description: 'Client id of the MCP sign-in broker at the Cognito user pool',
        });
      }
      if (names.machineClientId) {
        for (const [name, client] of Object.entries(machineClients)) {
          const parameterName = names.machineClientId(name);
          values[parameterName] = client.userPoolClientId;
          new StringParameter(this, `MachineClientIdParameter${name}`, {
            parameterName,
            stringValue: client.userPoolClientId,
            description: `Client id of the machine client "${name}"`,
          });
        }
      }
      if ((props.parameterRegions ?? []).length > 0) {
        this.regionalParameters = new RegionalParameters(this, 'RegionalParameters', {
          parameters: values,
          regions: props.parameterRegions ?? [],
        });
      }
    }
  }
}
