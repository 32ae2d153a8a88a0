import { CfnOutput, Duration, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import { Certificate, CertificateValidation } from 'aws-cdk-lib/aws-certificatemanager';
import { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import type { IamPermission } from '../../runtime/src/tools/definition.js';
import { AUTHZ_PATHS } from '../../runtime/src/authz/metadata.js';
import { type EnvironmentConfig, publicMcpUrl, serviceRegions } from '../config.js';
import { DEFAULT_UPSTREAM_SCOPES } from '../sign-in-config.js';
import { GlobalEntry } from '../constructs/global-entry.js';
import { McpService, type McpServiceAuth } from '../constructs/mcp-service.js';
import { ServiceKey } from '../constructs/service-key.js';
import { TokenSigningKey } from '../constructs/token-signing-key.js';
import { ServiceMonitoring } from '../constructs/service-monitoring.js';
import { ServiceNetwork } from '../constructs/service-network.js';
import { WebFirewall } from '../constructs/web-firewall.js';
import { type DeploymentNames, idsInStack } from '../naming.js';
import type { McpServiceSignIn } from '../sign-in-settings.js';

/** Properties of a {@link ServiceStack}. */
export interface ServiceStackProps extends StackProps {
  /** The environment this region belongs to. */
  readonly environment: EnvironmentConfig;
  /** Names the stacks of the environment agree on. */
  readonly names: DeploymentNames;
  /** AWS permissions the tools declare. */
  readonly toolPermissions: readonly IamPermission[];
  /**
   * The runtime image.
   *
   * @default - built from `runtime/Dockerfile`
   */
  readonly image?: ContainerImage;
  /**
   * Base image of the runtime image, pinned by digest.
   *
   * @default - the Dockerfile's default
   */
  readonly runtimeBaseImage?: string;
  /**
   * Sign the broker's tokens with the environment's multi-Region key: the data stack's primary in the
   * primary region, a replica of it made here in every other (its ARN read from this region's copy of
   * `names.tokenSigningKeyParameter`).
   *
   * @default - with the sign-in broker (`signIn.enabled`)
   */
  readonly tokenSigningKey?: boolean;
}

/**
 * One service region: network, certificate, the MCP service behind its load balancer and WAF,
 * monitoring, and this region's latency record of the global entry point.
 */
export class ServiceStack extends Stack {
  /** The MCP service of this region. */
  public readonly mcpService: McpService;
  /** Alarms, topic and dashboard of this region. */
  public readonly monitoring: ServiceMonitoring;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const env = props.environment;
    if (!serviceRegions(env).includes(this.region)) {
      throw new Error(
        `service stack region must be one of the environment's service regions ${JSON.stringify(serviceRegions(env))} (got "${this.region}")`,
      );
    }
    const retention = env.service.logRetentionDays as RetentionDays;

    const key = new ServiceKey(this, 'Key');
    const network = new ServiceNetwork(this, 'Network', {
      logKey: key.key,
      logRetention: retention,
      natGateways: env.service.natGateways,
    });

    const zone = HostedZone.fromHostedZoneAttributes(this, 'Zone', {
      hostedZoneId: env.hostedZone.id,
      zoneName: env.hostedZone.name,
    });
    const certificate = new Certificate(this, 'Certificate', {
      domainName: env.domainName,
      validation: CertificateValidation.fromDns(zone),
    });
    // CDK tags the certificate with its path in the whole app, which differs between `cdk deploy` and the
    // pipeline; name it from the stack instead, so both write the same template.
    Tags.of(certificate).add('Name', `${this.stackName}/${idsInStack(certificate).join('/')}`, { priority: 200 });

    const sessionTable = TableV2.fromTableName(this, 'SessionTable', props.names.sessionTable);
    const tokenSigningKeyArn = (props.tokenSigningKey ?? env.signIn.enabled) ? this.tokenSigningKeyArn(env, props.names) : undefined;

    this.mcpService = new McpService(this, 'Mcp', {
      vpc: network.vpc,
      certificate,
      domainName: env.domainName,
      sessionTable,
      requestStateKeySecretName: props.names.requestStateKeySecret,
      auth: this.authSettings(env, props.names),
      logKey: key.key,
      image: props.image,
      runtimeBaseImage: props.runtimeBaseImage,
      deletionProtection: env.deletionProtection,
      otelCollectorImage: env.service.otelCollectorImage,
      cpu: env.service.cpu,
      memoryLimitMiB: env.service.memoryMiB,
      desiredCount: env.service.desiredCount,
      minCapacity: env.service.minCount,
      maxCapacity: env.service.maxCount,
      cpuTargetPercent: env.service.cpuTargetPercent,
      requestsPerTaskPerMinute: env.service.requestsPerTaskPerMinute,
      longestToolDeadline: Duration.seconds(env.service.longestToolDeadlineSeconds),
      logLevel: env.service.logLevel,
      logRetention: retention,
      accessLogExpiryDays: env.service.accessLogExpiryDays,
      serviceName: env.observability.serviceName,
      metricsNamespace: env.observability.metricsNamespace,
      toolPermissions: props.toolPermissions,
      guardrail: env.service.guardrail,
      signIn: this.signInSettings(env, props.names),
      tokenSigningKeyArn,
    });

    new WebFirewall(this, 'Firewall', {
      loadBalancer: this.mcpService.loadBalancer,
      logKey: key.key,
      rateLimit: env.waf.rateLimit,
      rateLimitWindowSeconds: env.waf.rateLimitWindowSeconds,
      signIn: env.signIn.enabled
        ? {
            registerPath: AUTHZ_PATHS.register,
            tokenPath: AUTHZ_PATHS.token,
            authorizePath: AUTHZ_PATHS.authorize,
            registerLimit: env.waf.signInRateLimits.register,
            tokenLimit: env.waf.signInRateLimits.token,
            authorizeLimit: env.waf.signInRateLimits.authorize,
          }
        : undefined,
      logRetention: retention,
    });

    this.monitoring = new ServiceMonitoring(this, 'Monitoring', {
      service: this.mcpService.service,
      loadBalancer: this.mcpService.loadBalancer,
      targetGroup: this.mcpService.targetGroup,
      tableName: props.names.sessionTable,
      replicaRegions: serviceRegions(env),
      metricsNamespace: env.observability.metricsNamespace,
      serviceName: env.observability.serviceName,
      topicKey: key.key,
      alarmEmails: env.alarms.emails,
      minRunningTasks: env.service.minCount,
      thresholds: env.alarms,
      dashboardName: props.names.serviceStack(this.region),
      alarmNamePrefix: props.names.serviceStack(this.region),
    });
    this.mcpService.rollBackOnAlarms([this.monitoring.errorRateAlarm, this.monitoring.latencyAlarm]);

    new GlobalEntry(this, 'GlobalEntry', {
      zone,
      domainName: env.domainName,
      loadBalancer: this.mcpService.loadBalancer,
      healthAlarm: this.monitoring.regionHealthAlarm,
    });

    new CfnOutput(this, 'McpUrl', { value: publicMcpUrl(env), description: 'MCP endpoint (all regions)' });
    new CfnOutput(this, 'LoadBalancerDnsName', {
      value: this.mcpService.loadBalancer.loadBalancerDnsName,
      description: `Load balancer of ${this.region}`,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn });
  }

  /** This region's token signing key: the primary (primary region) or a replica of it made here. */
  private tokenSigningKeyArn(env: EnvironmentConfig, names: DeploymentNames): string {
    const primaryKeyArn = StringParameter.valueForStringParameter(this, names.tokenSigningKeyParameter);
    if (this.region === env.primaryRegion) return primaryKeyArn;
    return new TokenSigningKey(this, 'TokenSigningKey', { aliasName: names.tokenSigningKeyAlias, primaryKeyArn }).keyArn;
  }

  private authSettings(env: EnvironmentConfig, names: DeploymentNames): McpServiceAuth {
    if (env.identity.kind === 'oidc') {
      return {
        profile: 'oidc',
        issuer: env.identity.issuer,
        audience: env.identity.audience ?? publicMcpUrl(env),
      };
    }
    // The identity stack publishes these in the primary region and copies them into every other
    // service region: each region's tasks read their own region's copy when they start.
    return {
      profile: 'cognito',
      userPoolIdParameterArn: this.parameterArn(names.userPoolIdParameter),
      clientIdsParameterArn: this.parameterArn(names.clientIdsParameter),
      domainUrl: `https://${env.identity.domainPrefix}.auth.${env.primaryRegion}.amazoncognito.com`,
      resourceServerId: env.identity.resourceServerId,
    };
  }

  /** This region's copy of an SSM parameter the identity stack publishes. */
  private parameterArn(name: string): string {
    return this.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, '') });
  }

  /**
   * The sign-in broker of this region. Cognito: the identity stack's broker client, its id and the
   * pool's issuer from this region's parameters, its secret from this region's replica. An external
   * provider: issuer and client id from the configuration, the secret this region's replica of the
   * one the configuration names.
   */
  private signInSettings(env: EnvironmentConfig, names: DeploymentNames): McpServiceSignIn | undefined {
    const signIn = env.signIn;
    if (!signIn.enabled) return undefined;
    const common = {
      dynamicRegistration: signIn.dynamicRegistration,
      clientMetadataDocuments: signIn.clientMetadataDocuments,
      allowClients: signIn.allowClients,
      denyClients: signIn.denyClients,
      accessTokenValidity: Duration.minutes(signIn.accessTokenMinutes),
      refreshTokenValidity: Duration.days(signIn.refreshTokenDays),
      registrationsPerMinute: signIn.registrationsPerMinute,
      tokenRequestsPerMinute: signIn.tokenRequestsPerMinute,
    };
    if (env.identity.kind === 'cognito') {
      return {
        ...common,
        upstreamIssuer: { parameterArn: this.parameterArn(names.issuerParameter) },
        upstreamClientId: { parameterArn: this.parameterArn(names.brokerClientIdParameter) },
        upstreamClientSecret: Secret.fromSecretNameV2(this, 'BrokerClientSecret', names.brokerClientSecret),
        upstreamScopes: DEFAULT_UPSTREAM_SCOPES,
      };
    }
    const upstream = signIn.upstream;
    if (!upstream) throw new Error('signIn.upstream is required with an oidc identity (got none)');
    return {
      ...common,
      upstreamIssuer: { value: upstream.issuer ?? env.identity.issuer },
      upstreamClientId: { value: upstream.clientId },
      upstreamClientSecret: this.regionalSecret(upstream.clientSecret),
      upstreamScopes: upstream.scopes,
    };
  }

  /** A secret by name, or by full ARN moved to this region: replicas keep the name and the suffix. */
  private regionalSecret(reference: string): ISecret {
    if (!reference.startsWith('arn:')) return Secret.fromSecretNameV2(this, 'BrokerClientSecret', reference);
    const parts = reference.split(':');
    parts[3] = this.region;
    return Secret.fromSecretCompleteArn(this, 'BrokerClientSecret', parts.join(':'));
  }
}
