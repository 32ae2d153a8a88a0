import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aspects, Duration, RemovalPolicy, Size, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Alarm, CfnAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  CfnSecurityGroupEgress,
  CfnSecurityGroupIngress,
  type IVpc,
  Peer,
  Port,
  SecurityGroup,
  SubnetType,
} from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AlarmBehavior,
  AvailabilityZoneRebalancing,
  AwsLogDriverMode,
  Cluster,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargatePlatformVersion,
  FargateService,
  FargateTaskDefinition,
  LinuxParameters,
  LogDrivers,
  OperatingSystemFamily,
  PropagatedTagSource,
  Protocol as EcsProtocol,
  Secret as EcsSecret,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationListener,
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  ListenerAction,
  Protocol,
  SslPolicy,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Effect, Grant, type IGrantable, type IPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct, type IConstruct } from 'constructs';
import type { IamPermission } from '../../runtime/src/tools/definition.js';
import { COLLECTOR_MEMORY_LIMIT_MIB, COLLECTOR_OTLP_HTTP_PORT, otelCollectorConfig } from '../otel-collector-config.js';
import { idsInStack } from '../naming.js';
import { brokerContainerSettings, type McpServiceSignIn } from '../sign-in-settings.js';
import { toolPolicyStatements } from '../tool-permissions.js';
import { grantSessionStore } from './session-table.js';
import { RequestStateKey } from './request-state-key.js';
import { grantTokenSigning } from './token-signing-key.js';

/** Root of the repository: the Docker build context of the runtime image. */
const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Port the runtime listens on inside the task (HTTPS). */
export const RUNTIME_PORT = 8443;

/** Where the task's entrypoint writes the self-signed certificate the ALB connects to. */
const TLS_DIRECTORY = '/run/mcp-tls';


/** An image reference pinned by digest. */
const PINNED_IMAGE = /^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+:[A-Za-z0-9._-]{1,128}@sha256:[0-9a-f]{64}$/;

/** Seconds the runtime gets to finish in-flight requests after SIGTERM (`MCP_SHUTDOWN_GRACE_SECONDS`). */
const SHUTDOWN_GRACE_SECONDS = 25;

/** How the runtime verifies access tokens. */
export type McpServiceAuth =
  | {
      /** Generic OIDC: `aud` must name this server. */
      readonly profile: 'oidc';
      /** Exact issuer (`iss`). */
      readonly issuer: string;
      /** Required audience (RFC 8707 resource indicator). */
      readonly audience: string;
    }
  | {
      /** Amazon Cognito access tokens (`token_use = access`, client allowlist, resource-server scopes). */
      readonly profile: 'cognito';
      /**
       * ARN of the SSM parameter holding the user pool id. An ARN, not an `IStringParameter`: the
       * parameter lives in the primary region, and CDK imports parameters of the stack's region only.
       */
      readonly userPoolIdParameterArn: string;
      /** ARN of the SSM parameter holding the comma-separated accepted client ids (this region's copy). */
      readonly clientIdsParameterArn: string;
      /** Managed login base URL. */
      readonly domainUrl: string;
      /** Resource server identifier; scopes arrive as `<id>/<scope>`. */
      readonly resourceServerId: string;
    };

/** Properties of an {@link McpService}. */
export interface McpServiceProps {
  /** The VPC: the load balancer goes to its public subnets, the tasks to its private subnets. */
  readonly vpc: IVpc;
  /** Certificate of the public domain for the HTTPS listener. */
  readonly certificate: ICertificate;
  /** The public DNS name clients use; the MCP URL is `https://<domainName>/mcp`. */
  readonly domainName: string;
  /** The session table as seen from this region (the local replica). */
  readonly sessionTable: ITableV2;
  /** How the runtime verifies tokens. */
  readonly auth: McpServiceAuth;
  /** Key that encrypts the log groups. */
  readonly logKey: IKey;
  /**
   * The runtime image.
   *
   * @default - built from `runtime/Dockerfile` with the repository root as context
   */
  readonly image?: ContainerImage;
  /**
   * Base image the runtime image is built on (`NODE_IMAGE` build argument of `runtime/Dockerfile`),
   * pinned by digest. Ignored when `image` is given.
   *
   * @default - the Dockerfile's own default
   */
  readonly runtimeBaseImage?: string;
  /**
   * Deletion protection of the load balancer. Leave it off for the first deployment: a failed first
   * create rolls back by deleting the load balancer, which deletion protection refuses.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
  /**
   * Image of the OpenTelemetry collector sidecar (AWS Distro for OpenTelemetry), pinned by digest:
   * `<repository>:<tag>@sha256:<digest>`.
   */
  readonly otelCollectorImage: string;
  /**
   * Fargate CPU units of one task.
   *
   * @default 512
   */
  readonly cpu?: number;
  /**
   * Memory of one task (MiB).
   *
   * @default 1024
   */
  readonly memoryLimitMiB?: number;
  /**
   * Tasks in steady state; at least two.
   *
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * Lower bound of autoscaling; at least two.
   *
   * @default 2
   */
  readonly minCapacity?: number;
  /**
   * Upper bound of autoscaling.
   *
   * @default 6
   */
  readonly maxCapacity?: number;
  /**
   * Target average CPU utilization (percent).
   *
   * @default 60
   */
  readonly cpuTargetPercent?: number;
  /**
   * Target requests per task per minute.
   *
   * @default 1000
   */
  readonly requestsPerTaskPerMinute?: number;
  /**
   * The longest deadline of any tool. The load balancer's idle timeout is 30 seconds longer, and the
   * runtime's keep-alive 15 seconds longer still, so the balancer never reuses a closed connection.
   *
   * @default Duration.seconds(60)
   */
  readonly longestToolDeadline?: Duration;
  /**
   * Runtime log level.
   *
   * @default 'INFO'
   */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Retention of the log groups.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
  /**
   * Days after which load balancer access logs expire.
   *
   * @default 365
   */
  readonly accessLogExpiryDays?: number;
  /**
   * `POWERTOOLS_SERVICE_NAME`: service name in logs and traces, and the metrics' `service` dimension.
   *
   * @default 'enterprise-mcp'
   */
  readonly serviceName?: string;
  /**
   * `POWERTOOLS_METRICS_NAMESPACE`: CloudWatch namespace of the runtime's metrics.
   *
   * @default 'EnterpriseMcp'
   */
  readonly metricsNamespace?: string;
  /**
   * AWS permissions the tools declare; granted to the task role as they are.
   *
   * @default - none
   */
  readonly toolPermissions?: readonly IamPermission[];
  /**
   * Amazon Bedrock guardrail used for output moderation.
   *
   * @default - local moderation, no Bedrock access
   */
  readonly guardrail?: { readonly id: string; readonly version: string };
  /**
   * The kit's sign-in broker (`MCP_BROKER=on`): upstream identity provider, client lists, lifetimes.
   *
   * @default - no broker; clients bring the identity provider's tokens
   */
  readonly signIn?: McpServiceSignIn;
  /**
   * Name of the Secrets Manager secret (this region's replica) holding `MCP_REQUEST_STATE_KEY`, the
   * key that seals multi round-trip `requestState` (see `RequestStateKey`). Handed to the container
   * as an ECS secret; the execution role may read that one secret only.
   */
  readonly requestStateKeySecretName: string;
  /**
   * ARN of this region's token signing key (a replica of the multi-Region key): the sign-in broker
   * signs its access tokens there (`MCP_BROKER_SIGNING_KEY_ID`); the task role may sign with it and
   * read its public key, nothing else.
   *
   * @default - no signing key
   */
  readonly tokenSigningKeyArn?: string;
}

/**
 * The MCP server in one region: an ECS cluster with Container Insights; a Fargate service of at least
 * two tasks spread over the VPC's availability zones, with a deployment circuit breaker that rolls
 * back, and autoscaling on CPU and request count; a task of the runtime container (read-only root
 * filesystem, non-root user, TLS on port 8443) and an X-Ray daemon sidecar; an internet-facing ALB with
 * the ACM certificate, a TLS 1.2+ policy, HTTP redirected to HTTPS, an HTTPS target group (TLS end to
 * end), deletion protection, invalid headers dropped and access logs to an encrypted, TLS-only bucket.
 *
 * The task role gets the session store's DynamoDB actions on the local replica, what the tools
 * declare, and the X-Ray write actions; the execution role pulls the image, writes logs and reads the
 * identity parameters.
 */
export class McpService extends Construct implements IGrantable {
  /** The ECS cluster. */
  public readonly cluster: Cluster;
  /** The Fargate service. */
  public readonly service: FargateService;
  /** The task definition. */
  public readonly taskDefinition: FargateTaskDefinition;
  /** The internet-facing load balancer. */
  public readonly loadBalancer: ApplicationLoadBalancer;
  /** The HTTPS listener. */
  public readonly httpsListener: ApplicationListener;
  /** The HTTPS target group of the tasks. */
  public readonly targetGroup: ApplicationTargetGroup;
  /** The runtime's log group (access and error records). */
  public readonly logGroup: LogGroup;
  /** The OpenTelemetry collector's log group. */
  public readonly collectorLogGroup: LogGroup;
  /** The bucket holding the load balancer's access logs. */
  public readonly accessLogBucket: Bucket;
  /** The task role's principal. */
  public readonly grantPrincipal: IPrincipal;
  /** The load balancer's and the tasks' security groups. */
  private readonly securityGroups: readonly SecurityGroup[];

  constructor(scope: Construct, id: string, props: McpServiceProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const desiredCount = props.desiredCount ?? 2;
    const minCapacity = props.minCapacity ?? 2;
    const maxCapacity = props.maxCapacity ?? 6;
    if (minCapacity < 2) throw new Error(`minCapacity must be at least 2 (got ${minCapacity})`);
    if (desiredCount < minCapacity || desiredCount > maxCapacity) {
      throw new Error(`desiredCount must lie between minCapacity and maxCapacity (got ${minCapacity} <= ${desiredCount} <= ${maxCapacity})`);
    }
    const deadline = props.longestToolDeadline ?? Duration.seconds(60);
    const idleTimeoutSeconds = deadline.toSeconds() + 30;
    if (idleTimeoutSeconds > 4000) {
      throw new Error(`longestToolDeadline must leave the idle timeout within 4000 seconds (got ${deadline.toSeconds()} seconds)`);
    }
    const logRetention = props.logRetention ?? RetentionDays.ONE_YEAR;
    const memoryLimitMiB = props.memoryLimitMiB ?? 1024;
    if (memoryLimitMiB < 512) throw new Error(`memoryLimitMiB must be at least 512 (got ${memoryLimitMiB})`);

    // Logs -----------------------------------------------------------------------------------------
    // Log groups outlive the stack, except after a failed first create, so that a retry starts clean.
    this.logGroup = new LogGroup(this, 'Logs', {
      encryptionKey: props.logKey,
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    if (!PINNED_IMAGE.test(props.otelCollectorImage)) {
      throw new Error(`otelCollectorImage must be pinned by digest, <repository>:<tag>@sha256:<64 hex digits> (got "${props.otelCollectorImage}")`);
    }
    this.collectorLogGroup = new LogGroup(this, 'CollectorLogs', {
      encryptionKey: props.logKey,
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    // Task -----------------------------------------------------------------------------------------
    this.cluster = new Cluster(this, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ContainerInsights.ENHANCED,
    });
    Validations.of(this.cluster).acknowledge({
      id: 'cdk-validator-cfnguard::ecs_container_insights_enabled_check',
      reason:
        'Container Insights is on in its "enhanced" mode (task- and container-level metrics), a superset of the ' +
        '"enabled" value this rule looks for.',
    });

    this.taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      // Named after the stack, not the app path, so `cdk deploy` and the pipeline share the family.
      family: `${stack.stackName}-${idsInStack(this).join('-')}`,
      cpu: props.cpu ?? 512,
      memoryLimitMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.X86_64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
      // Task-local writable storage for a read-only root filesystem: the TLS key pair, and /tmp.
      volumes: [{ name: 'tls' }, { name: 'tmp' }],
    });
    this.grantPrincipal = this.taskDefinition.taskRole.grantPrincipal;

    const environment: Record<string, string> = {
      MCP_PORT: String(RUNTIME_PORT),
      MCP_PUBLIC_URL: `https://${props.domainName}/mcp`,
      MCP_ALLOWED_HOSTS: props.domainName,
      MCP_TLS_CERT_FILE: `${TLS_DIRECTORY}/cert.pem`,
      MCP_TLS_KEY_FILE: `${TLS_DIRECTORY}/key.pem`,
      MCP_KEEP_ALIVE_SECONDS: String(idleTimeoutSeconds + 15),
      MCP_SHUTDOWN_GRACE_SECONDS: String(SHUTDOWN_GRACE_SECONDS),
      MCP_SESSION_TABLE: props.sessionTable.tableName,
      MCP_AUTH_PROFILE: props.auth.profile,
      LOG_LEVEL: props.logLevel ?? 'INFO',
      POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'enterprise-mcp',
      POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace ?? 'EnterpriseMcp',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${COLLECTOR_OTLP_HTTP_PORT}`,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      NODE_ENV: 'production',
    };
    const secrets: Record<string, EcsSecret> = {
      MCP_REQUEST_STATE_KEY: RequestStateKey.containerSecret(this, 'RequestStateKey', props.requestStateKeySecretName),
    };
    if (props.auth.profile === 'oidc') {
      environment.MCP_OIDC_ISSUER = props.auth.issuer;
      environment.MCP_OIDC_AUDIENCE = props.auth.audience;
    } else {
      environment.MCP_COGNITO_DOMAIN = props.auth.domainUrl;
      environment.MCP_COGNITO_RESOURCE_SERVER_ID = props.auth.resourceServerId;
      // Not secret: delivered through ECS secrets, which read SSM parameters by ARN when a task starts.
      secrets.MCP_COGNITO_USER_POOL_ID = new SsmParameterByArn(props.auth.userPoolIdParameterArn);
      secrets.MCP_COGNITO_CLIENT_IDS = new SsmParameterByArn(props.auth.clientIdsParameterArn);
    }
    if (props.guardrail) {
      environment.MCP_MODERATION = 'bedrock';
      environment.MCP_BEDROCK_GUARDRAIL_ID = props.guardrail.id;
      environment.MCP_BEDROCK_GUARDRAIL_VERSION = props.guardrail.version;
    }

    if (props.signIn) {
      const broker = brokerContainerSettings(props.signIn);
      Object.assign(environment, broker.environment);
      for (const [name, arn] of Object.entries(broker.parameterArns)) secrets[name] = new SsmParameterByArn(arn);
      for (const [name, secret] of Object.entries(broker.secrets)) secrets[name] = EcsSecret.fromSecretsManager(secret);
    }
    if (props.tokenSigningKeyArn) environment.MCP_BROKER_SIGNING_KEY_ID = props.tokenSigningKeyArn;

    const app = this.taskDefinition.addContainer('App', {
      image:
        props.image ??
        ContainerImage.fromAsset(REPOSITORY_ROOT, {
          file: 'runtime/Dockerfile',
          platform: Platform.LINUX_AMD64,
          buildArgs: props.runtimeBaseImage ? { NODE_IMAGE: props.runtimeBaseImage } : undefined,
        }),
      essential: true,
      memoryLimitMiB: memoryLimitMiB - COLLECTOR_MEMORY_LIMIT_MIB,
      readonlyRootFilesystem: true,
      user: '1000:1000',
      environment,
      secrets,
      portMappings: [{ containerPort: RUNTIME_PORT, protocol: EcsProtocol.TCP, name: 'https' }],
      healthCheck: {
        command: ['CMD', 'node', '/usr/local/lib/mcp/healthcheck.mjs'],
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
      stopTimeout: Duration.seconds(SHUTDOWN_GRACE_SECONDS + 5),
      linuxParameters: new LinuxParameters(this, 'AppLinuxParameters', { initProcessEnabled: true }),
      logging: LogDrivers.awsLogs({
        logGroup: this.logGroup,
        streamPrefix: 'app',
        // Non-blocking: a CloudWatch Logs slowdown must not stall request handling.
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    app.addMountPoints(
      { sourceVolume: 'tls', containerPath: TLS_DIRECTORY, readOnly: false },
      { sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false },
    );

    this.taskDefinition.addContainer('OtelCollector', {
      image: ContainerImage.fromRegistry(props.otelCollectorImage),
      // Tracing is best effort: losing the collector must not stop the server.
      essential: false,
      readonlyRootFilesystem: true,
      user: '10001:10001',
      cpu: 64,
      memoryReservationMiB: 64,
      memoryLimitMiB: COLLECTOR_MEMORY_LIMIT_MIB,
      // Receives on the task's loopback only (see the configuration); the app is the only sender.
      environment: { AOT_CONFIG_CONTENT: otelCollectorConfig(stack.region) },
      logging: LogDrivers.awsLogs({ logGroup: this.collectorLogGroup, streamPrefix: 'otel' }),
    });

    // Task role: session store, tool declarations, X-Ray (written by the collector).
    grantSessionStore(props.sessionTable, this.taskDefinition.taskRole);
    for (const statement of toolPolicyStatements(props.toolPermissions ?? [], this)) {
      this.taskDefinition.addToTaskRolePolicy(statement);
    }
    this.taskDefinition.addToTaskRolePolicy(
      new PolicyStatement({
        sid: 'CollectorWritesTraces',
        effect: Effect.ALLOW,
        // What the collector's awsxray exporter calls. No sampling reads: the runtime samples itself.
        actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
        resources: ['*'],
      }),
    );
    if (props.tokenSigningKeyArn) grantTokenSigning(props.tokenSigningKeyArn, this.taskDefinition.taskRole);
    if (props.guardrail) {
      this.taskDefinition.addToTaskRolePolicy(
        new PolicyStatement({
          sid: 'ModerateOutputWithGuardrail',
          effect: Effect.ALLOW,
          actions: ['bedrock:ApplyGuardrail'],
          resources: [`arn:${stack.partition}:bedrock:${stack.region}:${stack.account}:guardrail/${props.guardrail.id}`],
        }),
      );
    }

    Validations.of(this.taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'The environment variables are non-secret settings (public URL, host names, table name, log level, ' +
        'issuer). Nothing secret is passed in them: the requestState key, and the sign-in client secret when there ' +
        'is one, arrive through ECS secrets from Secrets Manager; the task holds no other credentials, and its TLS ' +
        'key is generated in the task.',
    });
    Validations.of(this.taskDefinition.taskRole).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The OpenTelemetry collector sidecar writes traces with xray:PutTraceSegments and PutTelemetryRecords; ' +
        'X-Ray supports no resource-level permissions for them. Every other statement of the role names its resources.',
    });
    Validations.of(this.taskDefinition.obtainExecutionRole()).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, added by ECS to pull the image, supports no resource-level permissions; ' +
        'the image pull actions themselves are limited to the image repository.',
    });
    for (const role of [this.taskDefinition.taskRole, this.taskDefinition.obtainExecutionRole()]) {
      Validations.of(role).acknowledge({
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason:
          'The inline policy belongs to this one role and is generated from the resources it may use; a managed ' +
          'policy could be attached to other principals, which least privilege rules out here.',
      });
    }

    // Load balancer --------------------------------------------------------------------------------
    const loadBalancerSecurityGroup = new SecurityGroup(this, 'LoadBalancerSecurityGroup', {
      vpc: props.vpc,
      description: 'MCP load balancer: HTTPS and the HTTP redirect from the internet',
      allowAllOutbound: false,
    });
    loadBalancerSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS from MCP clients');
    loadBalancerSecurityGroup.addIngressRule(Peer.anyIpv4(), Port.tcp(80), 'HTTP, answered with a redirect to HTTPS');
    Validations.of(loadBalancerSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'The load balancer is the public MCP endpoint: clients connect from anywhere. It accepts 443 (TLS 1.2+, ' +
        'behind WAF with IP reputation, rate and managed rules) and 80 only to redirect to HTTPS.',
    });

    const taskSecurityGroup = new SecurityGroup(this, 'TaskSecurityGroup', {
      vpc: props.vpc,
      description: 'MCP tasks: HTTPS from the load balancer in, HTTPS to AWS APIs and the token issuer out',
      allowAllOutbound: false,
    });
    taskSecurityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'AWS APIs, the image registry and the token issuer');
    taskSecurityGroup.addIngressRule(loadBalancerSecurityGroup, Port.tcp(RUNTIME_PORT), 'HTTPS from the load balancer');
    loadBalancerSecurityGroup.addEgressRule(taskSecurityGroup, Port.tcp(RUNTIME_PORT), 'HTTPS to the tasks');
    this.securityGroups = [loadBalancerSecurityGroup, taskSecurityGroup];

    this.accessLogBucket = new Bucket(this, 'AccessLogs', {
      // Load balancer access logs support SSE-S3 only.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(props.accessLogExpiryDays ?? 365),
          noncurrentVersionExpiration: Duration.days(30),
        },
      ],
      // Plain RETAIN, also after a failed first create: load balancer log delivery writes a test object as
      // soon as logging is on, and CloudFormation cannot delete a bucket that holds objects, so deleting
      // it in a rollback would fail. The name is generated, so a retry never collides with it.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const accessLogReason =
      'This bucket receives only the load balancer access logs, written by Elastic Load Balancing log delivery. ';
    Validations.of(this.accessLogBucket).acknowledge(
      {
        id: 'AwsSolutions-S1',
        reason: accessLogReason + 'It is itself the log destination; logging it to another bucket would repeat the question there.',
      },
      {
        id: 'NIST.800.53.R5-S3BucketLoggingEnabled',
        reason: accessLogReason + 'It is itself the log destination; logging it to another bucket would repeat the question there.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_logging_enabled_check',
        reason: accessLogReason + 'It is itself the log destination; logging it to another bucket would repeat the question there.',
      },
      {
        id: 'NIST.800.53.R5-S3DefaultEncryptionKMS',
        reason: accessLogReason + 'Load balancer access logs support SSE-S3 only (AES-256); SSE-KMS is not accepted.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check',
        reason: accessLogReason + 'Load balancer access logs support SSE-S3 only (AES-256); SSE-KMS is not accepted.',
      },
      {
        id: 'NIST.800.53.R5-S3BucketReplicationEnabled',
        reason: accessLogReason + 'The logs describe this region only and expire by lifecycle; versioning protects them from overwrite.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_event_notifications_enabled_check',
        reason: accessLogReason + 'Nothing consumes log objects as events; analysis reads them with Athena on demand.',
      },
      {
        id: 'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check',
        reason:
          accessLogReason +
          'Versioning keeps overwritten or deleted objects for 30 days and public access is blocked. Object Lock would ' +
          'make the configured expiry immutable; enable it in a fork if your retention rules require WORM storage.',
      },
    );

    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      internetFacing: true,
      securityGroup: loadBalancerSecurityGroup,
      deletionProtection: props.deletionProtection ?? false,
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(idleTimeoutSeconds),
      http2Enabled: true,
    });
    this.loadBalancer.logAccessLogs(this.accessLogBucket, 'alb');
    if (!(props.deletionProtection ?? false)) {
      const reason =
        'Off for the first deployment only (configuration key deletionProtection): CloudFormation rolls a failed ' +
        'first create back by deleting the load balancer, which deletion protection refuses (ROLLBACK_FAILED). The ' +
        'load balancer holds no data; the runbook switches protection on once the first deployment succeeded.';
      Validations.of(this.loadBalancer).acknowledge(
        { id: 'NIST.800.53.R5-ELBDeletionProtectionEnabled', reason },
        { id: 'cdk-validator-cfnguard::elbv2_deletion_protection_enabled_check', reason },
      );
    }

    this.targetGroup = new ApplicationTargetGroup(this, 'TargetGroup', {
      vpc: props.vpc,
      targetType: TargetType.IP,
      protocol: ApplicationProtocol.HTTPS,
      port: RUNTIME_PORT,
      deregistrationDelay: Duration.seconds(SHUTDOWN_GRACE_SECONDS),
      healthCheck: {
        protocol: Protocol.HTTPS,
        path: '/readyz',
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });

    this.httpsListener = this.loadBalancer.addListener('Https', {
      protocol: ApplicationProtocol.HTTPS,
      port: 443,
      open: false,
      certificates: [props.certificate],
      sslPolicy: SslPolicy.TLS13_12_RES_PQ,
      defaultAction: ListenerAction.forward([this.targetGroup]),
    });
    const httpListener = this.loadBalancer.addListener('Http', {
      protocol: ApplicationProtocol.HTTP,
      port: 80,
      open: false,
      defaultAction: ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
    });
    Validations.of(httpListener).acknowledge({
      id: 'NIST.800.53.R5-ELBv2ACMCertificateRequired',
      reason: 'This listener serves no content: it answers every request with a permanent redirect to the HTTPS listener.',
    });

    // Service --------------------------------------------------------------------------------------
    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      vpcSubnets: { subnetType: SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [taskSecurityGroup],
      assignPublicIp: false,
      platformVersion: FargatePlatformVersion.LATEST,
      availabilityZoneRebalancing: AvailabilityZoneRebalancing.ENABLED,
      healthCheckGracePeriod: Duration.seconds(60),
      enableExecuteCommand: false,
      propagateTags: PropagatedTagSource.SERVICE,
      enableECSManagedTags: true,
    });
    this.service.attachToApplicationTargetGroup(this.targetGroup);

    const scaling = this.service.autoScaleTaskCount({ minCapacity, maxCapacity });
    // Policy names from the stack name, not the app path, so `cdk deploy` and the pipeline agree.
    const policyName = (name: string) => `${stack.stackName}-${[...idsInStack(this), name].join('-')}`;
    scaling.scaleOnCpuUtilization('CpuScaling', {
      policyName: policyName('CpuScaling'),
      targetUtilizationPercent: props.cpuTargetPercent ?? 60,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    scaling.scaleOnRequestCount('RequestScaling', {
      policyName: policyName('RequestScaling'),
      requestsPerTarget: props.requestsPerTaskPerMinute ?? 1000,
      targetGroup: this.targetGroup,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    this.nameSecurityGroupRulesInsideTheStack();
  }

  /**
   * CDK names a rule between two security groups after the peer's id in the whole app, which differs
   * between `cdk deploy` (stages at the app root) and the pipeline (stages inside the pipeline stack),
   * so moving between the two would replace the rules. Name each such rule from its path inside the
   * stack instead (at synth, after every rule exists).
   */
  private nameSecurityGroupRulesInsideTheStack(): void {
    const renames = this.securityGroups.map((group) => [group.uniqueId, idsInStack(group).join('')] as const);
    Aspects.of(this).add({
      visit(node: IConstruct) {
        if (!(node instanceof CfnSecurityGroupIngress || node instanceof CfnSecurityGroupEgress)) return;
        const path = idsInStack(node).join('/');
        const stable = renames.reduce((key, [appWide, inStack]) => key.split(appWide).join(inStack), path);
        if (stable === path) return;
        const digest = createHash('sha256').update(stable).digest('hex').slice(0, 8).toUpperCase();
        node.overrideLogicalId(`${stable.replace(/[^A-Za-z0-9]/g, '').slice(0, 200)}${digest}`);
      },
    });
  }

  /**
   * Rolls a deployment back when one of these alarms fires while it runs (ECS deployment alarms, in
   * addition to the circuit breaker). Use alarms that do not depend on the service itself, with
   * fixed names, so that the service refers to them by name.
   */
  public rollBackOnAlarms(alarms: readonly Alarm[]): void {
    if (alarms.length === 0) return;
    const names = alarms.map((alarm) => {
      const name = (alarm.node.defaultChild as CfnAlarm).alarmName;
      if (name === undefined || Token.isUnresolved(name)) {
        throw new Error(`deployment alarms need fixed names (got an unnamed alarm at "${alarm.node.path}")`);
      }
      return name;
    });
    this.service.enableDeploymentAlarms(names, { behavior: AlarmBehavior.ROLLBACK_ON_ALARM });
    // The alarms must exist before the service refers to them.
    this.service.node.addDependency(...alarms);
  }
}

/**
 * A plain SSM parameter handed to a container through ECS `secrets`, addressed by ARN so that it may
 * live in another region. The execution role may read exactly this parameter.
 */
class SsmParameterByArn extends EcsSecret {
  public readonly hasField = false;

  constructor(public readonly arn: string) {
    super();
  }

  public grantRead(grantee: IGrantable): Grant {
    return Grant.addToPrincipal({ grantee, actions: ['ssm:GetParameters'], resourceArns: [this.arn] });
  }
}
