import { Aspects, type CfnResource, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { BuildSpec, CfnProject, ComputeType, LinuxBuildImage } from 'aws-cdk-lib/aws-codebuild';
import { CfnPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { PipelineType } from 'aws-cdk-lib/aws-codepipeline';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { CodeBuildStep, CodePipeline, CodePipelineSource, ManualApprovalStep, ShellStep } from 'aws-cdk-lib/pipelines';
import type { Construct, IConstruct } from 'constructs';
import { type DeploymentConfig, type EnvironmentConfig, type PipelineConfig, publicMcpUrl } from '../lib/config.js';
import { restrictGrantsToAwsResources, ServiceKey } from '../lib/constructs/service-key.js';
import { EnvironmentStage } from '../lib/environment-stage.js';
import { deploymentNames, smokeTestRunnerRoleName } from '../lib/naming.js';

/** The aws-cdk CLI the pipeline installs for self-mutation: the version package.json pins. */
const CDK_CLI_VERSION = '2.1148.1';

/**
 * The cdk-assets version the asset-publishing steps install (CDK Pipelines installs `latest` unless
 * told otherwise). Move it forward deliberately, like every other pinned tool.
 */
export const CDK_ASSETS_VERSION = '4.7.3';

/** Node.js major version of every CodeBuild step (the runtime image uses the same). */
const NODE_VERSION = '22';

/** Properties of a {@link DeliveryPipelineStack}. */
export interface DeliveryPipelineStackProps extends StackProps {
  /** Name of the deployment; prefix of the pipeline's and the stages' names. */
  readonly appName: string;
  /** The pipeline settings. */
  readonly pipeline: PipelineConfig;
  /** The environment the staging wave deploys. */
  readonly staging: EnvironmentConfig;
  /** The environment the production waves deploy. */
  readonly production: EnvironmentConfig;
  /** Base image of the runtime image, pinned by digest. */
  readonly runtimeBaseImage: string;
}

/**
 * The delivery pipeline (CDK Pipelines, CodePipeline type V2) in the toolchain account:
 *
 * source (CodeConnections) → synth (`npm ci --ignore-scripts`, lint, `npm test`, `npm run synth` with the compliance
 * checks, `npm run synth:pipeline`) → self-mutation → asset publishing (builds the runtime image)
 * → staging wave (every staging region) → smoke test over MCP with a client-credentials token from
 * Secrets Manager → manual approval with an SNS notification → production, the primary region first,
 * then one wave per further region.
 *
 * Deployments cross accounts with the artifact bucket encrypted by a customer managed key; a bad
 * deployment is rolled back by the ECS circuit breaker and the deployment alarms of each region.
 */
export class DeliveryPipelineStack extends Stack {
  /** The CDK pipeline. */
  public readonly pipeline: CodePipeline;
  /** Topic that tells the approvers a production release waits for them. */
  public readonly approvalTopic: Topic;
  /** The step that holds the release until a person approves it. */
  public readonly approval: ManualApprovalStep;
  /** The post-deployment smoke test of staging. */
  public readonly smokeTest: CodeBuildStep;
  /** Bucket of the pipeline artifacts. */
  public readonly artifactBucket: Bucket;
  /** Log group of every CodeBuild step. */
  public readonly buildLogs: LogGroup;

  constructor(scope: Construct, id: string, props: DeliveryPipelineStackProps) {
    super(scope, id, props);
    const { appName, pipeline: settings, staging, production, runtimeBaseImage } = props;
    if (staging.name === production.name) {
      throw new Error(`staging and production must be different environments (got "${staging.name}" twice)`);
    }

    const source = CodePipelineSource.connection(settings.repository, settings.branch, {
      connectionArn: settings.connectionArn,
      triggerOnPush: true,
    });

    // Pipeline artifacts: a customer managed key that the target accounts' deployment roles are
    // granted (cross-account), TLS-only access, versioning and expiry.
    const artifactKey = new Key(this, 'ArtifactKey', {
      description: `Encrypts the ${appName} pipeline artifacts`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    restrictGrantsToAwsResources(artifactKey);
    this.artifactBucket = new Bucket(this, 'ArtifactBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: artifactKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      lifecycleRules: [
        {
          // Long enough for a release that waits for approval (approvals expire after 7 days).
          expiration: Duration.days(90),
          noncurrentVersionExpiration: Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Build logs and approval notifications: encrypted with the stack's key.
    const key = new ServiceKey(this, 'LogKey', { description: `Encrypts the ${appName} pipeline logs and notifications` });
    this.buildLogs = new LogGroup(this, 'BuildLogs', {
      encryptionKey: key.key,
      retention: RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const nodeRuntime = BuildSpec.fromObject({ phases: { install: { 'runtime-versions': { nodejs: NODE_VERSION } } } });
    this.pipeline = new CodePipeline(this, 'Pipeline', {
      pipelineName: `${appName}-delivery`,
      pipelineType: PipelineType.V2,
      artifactBucket: this.artifactBucket,
      crossAccountKeys: true,
      enableKeyRotation: true,
      selfMutation: true,
      cliVersion: CDK_CLI_VERSION,
      cdkAssetsCliVersion: CDK_ASSETS_VERSION,
      dockerEnabledForSynth: false,
      publishAssetsInParallel: true,
      synth: new ShellStep('Synth', {
        input: source,
        commands: [
          // Dependencies run no install scripts, as on the developer machines (npm 11 allowScripts).
          'npm ci --ignore-scripts',
          'npm run lint',
          'npm test',
          // The service app with the compliance checks: an unacknowledged finding fails the build.
          'npm run synth',
          // The pipeline's own cloud assembly (this stack and its stages), the output of this step.
          'npm run synth:pipeline',
        ],
        primaryOutputDirectory: 'cdk.out/pipeline',
      }),
      codeBuildDefaults: {
        buildEnvironment: { buildImage: LinuxBuildImage.STANDARD_7_0, computeType: ComputeType.MEDIUM },
        partialBuildSpec: nodeRuntime,
        logging: { cloudWatch: { logGroup: this.buildLogs } },
      },
      assetPublishingCodeBuildDefaults: {
        // runtime/Dockerfile uses BuildKit features (inline files, COPY --chmod).
        buildEnvironment: { environmentVariables: { DOCKER_BUILDKIT: { value: '1' } } },
      },
      synthCodeBuildDefaults: {
        // The whole test suite runs here; CI allows it 90 minutes.
        timeout: Duration.minutes(90),
        buildEnvironment: { computeType: ComputeType.LARGE },
      },
    });

    // Staging: every region of the staging environment in one stage, then the smoke test.
    const smokeTestSettings = { toolchainAccount: settings.account, client: settings.smokeTestClient };
    const stagingStage = new EnvironmentStage(this, 'Staging', {
      appName,
      environment: staging,
      runtimeBaseImage,
      smokeTest: smokeTestSettings,
    });
    if (staging.identity.kind !== 'cognito') {
      throw new Error(`the staging environment must use the cognito identity for the smoke test (got "${staging.identity.kind}")`);
    }
    const stagingNames = deploymentNames(appName, staging);
    const readerRoleArn = `arn:${this.partition}:iam::${staging.account}:role/${stagingNames.smokeTestReaderRole}`;
    // The smoke test signs in with the staging machine client. It reads the client's id and current
    // secret in the staging account at run time, through a read-only role there (SmokeTestAccess):
    // nothing is copied by hand before the first run, and a rotated secret is used at the next run.
    const smokeRole = new Role(this, 'SmokeTestRole', {
      roleName: smokeTestRunnerRoleName(appName),
      description: 'CodeBuild role of the staging smoke test',
      assumedBy: new ServicePrincipal('codebuild.amazonaws.com'),
    });
    smokeRole.addToPolicy(
      new PolicyStatement({ sid: 'AssumeStagingSmokeTestReader', actions: ['sts:AssumeRole'], resources: [readerRoleArn] }),
    );
    const machineClient = staging.identity.machineClients.find((c) => c.name === settings.smokeTestClient);
    const resourceServerId = staging.identity.resourceServerId;
    this.smokeTest = new CodeBuildStep('SmokeTest', {
      input: source,
      commands: ['bash scripts/smoke-staging.sh'],
      env: {
        MCP_URL: publicMcpUrl(staging),
        SMOKE_ROLE_ARN: readerRoleArn,
        SMOKE_REGION: staging.primaryRegion,
        SMOKE_POOL_ID_PARAMETER: stagingNames.userPoolIdParameter,
        SMOKE_CLIENT_ID_PARAMETER: stagingNames.machineClientIdParameter(settings.smokeTestClient),
        SMOKE_TOKEN_URL: `https://${staging.identity.domainPrefix}.auth.${staging.primaryRegion}.amazoncognito.com/oauth2/token`,
        SMOKE_SCOPE: (machineClient?.scopes ?? []).map((scope) => `${resourceServerId}/${scope}`).join(' '),
      },
      role: smokeRole,
      timeout: Duration.minutes(15),
    });
    this.pipeline.addStage(stagingStage, { post: [this.smokeTest] });

    // The gate: a person approves after staging passed, before anything reaches production.
    this.approvalTopic = new Topic(this, 'ApprovalTopic', {
      displayName: `${appName}: production release waiting for approval`,
      masterKey: key.key,
      enforceSSL: true,
    });
    for (const email of settings.approverEmails) {
      this.approvalTopic.addSubscription(new EmailSubscription(email));
    }
    const productionRegions = [production.primaryRegion, ...production.secondaryRegions];
    const dashboard = deploymentNames(appName, staging).serviceStack(staging.primaryRegion);
    this.approval = new ManualApprovalStep('PromoteToProduction', {
      comment:
        `Commit ${source.sourceAttribute('CommitId')} of ${settings.repository}@${settings.branch} is deployed to staging ` +
        `(${publicMcpUrl(staging)}, account ${staging.account}, ${[staging.primaryRegion, ...staging.secondaryRegions].join(', ')}) ` +
        'and passed the smoke test (health, 401 without a token, initialize, tools/list, whoami). ' +
        'Before approving: read the change set of this execution, the SmokeTest log, and the staging dashboards and alarms. ' +
        `Approving deploys production (account ${production.account}) region by region: ${productionRegions.join(' → ')}.`,
      reviewUrl:
        `https://${staging.primaryRegion}.console.aws.amazon.com/cloudwatch/home?region=${staging.primaryRegion}` +
        `#dashboards/dashboard/${dashboard}`,
      notificationTopic: this.approvalTopic,
    });

    // Production: the primary region (with data and identity) first, then one wave per region.
    productionRegions.forEach((region, index) => {
      const primary = index === 0;
      const wave = this.pipeline.addWave(`Production-${region}`, primary ? { pre: [this.approval] } : {});
      wave.addStage(
        new EnvironmentStage(this, `Production-${region}`, {
          appName,
          environment: production,
          includeSharedStacks: primary,
          regions: [region],
          runtimeBaseImage,
        }),
      );
    });

    this.pipeline.buildPipeline();
    this.grantConnectionUseWithTheArnsPrefix(settings.connectionArn);
    // The smoke role receives the same CDK Pipelines grants as the roles CDK generates for its projects.
    this.acknowledgeFindings([smokeRole]);
  }

  /**
   * CDK grants the source action `codestar-connections:UseConnection` whatever the connection's ARN;
   * IAM matches an action's prefix against the ARN's service, so a `codeconnections` ARN needs
   * `codeconnections:UseConnection`. Rewrites the action to the prefix of the configured ARN.
   */
  private grantConnectionUseWithTheArnsPrefix(connectionArn: string): void {
    const service = connectionArn.split(':')[2];
    const wanted = `${service}:UseConnection`;
    Aspects.of(this.pipeline).add({
      visit: (node: IConstruct) => {
        if (!(node instanceof CfnPolicy)) return;
        const document = this.resolve(node.policyDocument) as { Statement?: Array<{ Action?: unknown }> };
        (document.Statement ?? []).forEach((statement, index) => {
          const actions = [statement.Action].flat();
          if (!actions.includes('codestar-connections:UseConnection')) return;
          const fixed = actions.map((action) => (action === 'codestar-connections:UseConnection' ? wanted : action));
          node.addPropertyOverride(`PolicyDocument.Statement.${index}.Action`, fixed.length === 1 ? fixed[0] : fixed);
        });
      },
    });
  }

  /**
   * Acknowledges the compliance findings on what CDK Pipelines generates (its roles, projects and
   * the cross-region support stacks) and on the artifact bucket, each with its reason.
   */
  private acknowledgeFindings(projectRoles: readonly IConstruct[]): void {
    const acknowledge = (construct: IConstruct, findings: Readonly<Record<string, string>>) =>
      Validations.of(construct).acknowledge(...Object.entries(findings).map(([id, reason]) => ({ id, reason })));
    const logicalId = (construct: IConstruct) => String(this.resolve((construct.node.defaultChild as CfnResource).logicalId));
    const { account, region, partition } = this;

    // Roles and projects of the pipeline.
    const pipelineFindings: Record<string, string> = {
      ...PIPELINE_FINDINGS,
      [`AwsSolutions-IAM5[Resource::arn:*:iam::${account}:role/*]`]:
        'Self-mutation assumes the CDK bootstrap roles of the toolchain account; the statement is limited by the ' +
        'aws-cdk:bootstrap-role tag to the image-publishing, file-publishing and deploy roles.',
      [`AwsSolutions-IAM5[Resource::arn:${partition}:logs:${region}:${account}:log-group:/aws/codebuild/*]`]:
        'The asset publishing projects are created per asset; their log group names are generated.',
      [`AwsSolutions-IAM5[Resource::arn:${partition}:codebuild:${region}:${account}:report-group/*]`]:
        'The asset publishing projects are created per asset; their report group names are generated.',
    };
    pipelineFindings[`AwsSolutions-IAM5[Resource::<${logicalId(this.artifactBucket)}.Arn>/*]`] =
      'CDK Pipelines reads and writes the objects of this pipeline\'s own artifact bucket; the wildcard covers only its objects.';
    for (const project of this.pipeline.node.findAll().filter((c): c is CfnProject => c instanceof CfnProject)) {
      const id = String(this.resolve(project.logicalId));
      pipelineFindings[`AwsSolutions-IAM5[Resource::arn:${partition}:logs:${region}:${account}:log-group:/aws/codebuild/<${id}>:*]`] =
        'CodeBuild writes the log streams of this one project; stream names are generated per build.';
      pipelineFindings[`AwsSolutions-IAM5[Resource::arn:${partition}:codebuild:${region}:${account}:report-group/<${id}>-*]`] =
        'CodeBuild creates test report groups named after this one project.';
    }
    for (const support of Object.values(this.pipeline.pipeline.crossRegionSupport)) {
      const bucketName = this.resolve(support.replicationBucket.bucketName);
      if (typeof bucketName === 'string') {
        pipelineFindings[`AwsSolutions-IAM5[Resource::arn:${partition}:s3:::${bucketName}/*]`] =
          `The pipeline copies artifacts to the objects of its cross-region replication bucket in ${support.stack.region}.`;
      }
      // The support stack's key accepts grants for AWS resources only, like every key of the kit.
      const supportKey = support.stack.node.findAll().find((c): c is Key => c instanceof Key);
      if (supportKey) restrictGrantsToAwsResources(supportKey);
      acknowledge(support.stack, REPLICATION_BUCKET_FINDINGS);
    }
    acknowledge(this.pipeline, pipelineFindings);
    for (const role of projectRoles) acknowledge(role, pipelineFindings);
    acknowledge(this.artifactBucket, ARTIFACT_BUCKET_FINDINGS);
  }
}

/**
 * Builds the pipeline stack from the deployment configuration.
 *
 * @throws Error when the configuration has no `pipeline` section
 */
export function deliveryPipelineStackProps(config: DeploymentConfig): DeliveryPipelineStackProps {
  const settings = config.pipeline;
  if (!settings) {
    throw new Error('pipeline must be configured to synthesize the delivery pipeline (got undefined)');
  }
  const environment = (name: string) => {
    const env = config.environments.find((e) => e.name === name);
    if (!env) throw new Error(`pipeline environment must exist (got "${name}")`);
    return env;
  };
  return {
    env: { account: settings.account, region: settings.region },
    stackName: `${config.appName}-pipeline`,
    description: `Delivery pipeline of ${config.appName}: staging, smoke test, approval, production`,
    appName: config.appName,
    pipeline: settings,
    staging: environment(settings.stagingEnvironment),
    production: environment(settings.productionEnvironment),
    runtimeBaseImage: config.runtimeBaseImage,
  };
}

const BUCKET_GRANT =
  'CDK Pipelines grants its roles access to the artifact buckets (the pipeline\'s own and its cross-region ' +
  'replication buckets) with these action groups; every such statement names only those buckets and their objects.';
const KEY_GRANT =
  'CDK Pipelines grants its roles use of the artifact keys with these action groups; every such statement names ' +
  'the artifact key, or the cross-region replication key, which the pipeline can only address by alias.';

/** Findings on the roles and projects that CDK Pipelines generates. */
const PIPELINE_FINDINGS: Readonly<Record<string, string>> = {
  'AwsSolutions-IAM5[Action::s3:Abort*]': BUCKET_GRANT,
  'AwsSolutions-IAM5[Action::s3:DeleteObject*]': BUCKET_GRANT,
  'AwsSolutions-IAM5[Action::s3:GetBucket*]': BUCKET_GRANT,
  'AwsSolutions-IAM5[Action::s3:GetObject*]': BUCKET_GRANT,
  'AwsSolutions-IAM5[Action::s3:List*]': BUCKET_GRANT,
  'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]': KEY_GRANT,
  'AwsSolutions-IAM5[Action::kms:ReEncrypt*]': KEY_GRANT,
  'AwsSolutions-IAM5[Resource::*]':
    'Actions that take no resource ARN, or whose resource CDK cannot name at synth: codebuild:StartBuild, ' +
    'BatchGetBuilds and StopBuild for the asset projects; cloudformation:DescribeStacks and s3:ListBucket for ' +
    'self-mutation to find the bootstrap resources; KMS use of the cross-region replication key, addressed by alias.',
  'NIST.800.53.R5-IAMNoInlinePolicy':
    'CDK Pipelines gives each generated role an inline policy built from the resources it uses; a managed policy ' +
    'could be attached to other principals, which least privilege rules out here.',
  'cdk-validator-cfnguard::codebuild_project_environment_privileged_check':
    'Building the runtime image with Docker needs privileged mode; only the Docker asset publishing project has it, ' +
    'and it runs the repository\'s Dockerfile on source that passed the synth step\'s tests.',
};

/** Findings on the pipeline's artifact bucket. */
const ARTIFACT_BUCKET_FINDINGS: Readonly<Record<string, string>> = {
  'AwsSolutions-S1':
    'Pipeline artifacts are written and read only by the pipeline\'s roles; CloudTrail records the access. Server ' +
    'access logs would need another bucket with the same question.',
  'NIST.800.53.R5-S3BucketLoggingEnabled':
    'Pipeline artifacts are written and read only by the pipeline\'s roles; CloudTrail records the access.',
  'cdk-validator-cfnguard::s3_bucket_logging_enabled_check':
    'Pipeline artifacts are written and read only by the pipeline\'s roles; CloudTrail records the access.',
  'NIST.800.53.R5-S3BucketReplicationEnabled':
    'Artifacts are rebuilt from the source repository by re-running the pipeline; replicating them adds nothing.',
  'cdk-validator-cfnguard::s3_event_notifications_enabled_check':
    'Nothing consumes artifact objects as events; CodePipeline passes them between its actions.',
  'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check':
    'Artifacts are intermediate build outputs that expire by lifecycle; WORM retention does not apply to them.',
};

/** Findings on the cross-region support stacks CDK Pipelines creates (a replication bucket and its key). */
const REPLICATION_BUCKET_FINDINGS: Readonly<Record<string, string>> = {
  'AwsSolutions-S1':
    'CDK-created replication bucket that only carries pipeline artifacts to this region, KMS-encrypted and TLS-only.',
  'NIST.800.53.R5-S3BucketLoggingEnabled':
    'CDK-created replication bucket that only carries pipeline artifacts to this region; CloudTrail records the access.',
  'cdk-validator-cfnguard::s3_bucket_logging_enabled_check':
    'CDK-created replication bucket that only carries pipeline artifacts to this region; CloudTrail records the access.',
  'NIST.800.53.R5-S3BucketReplicationEnabled':
    'The bucket is itself the cross-region copy of the pipeline artifacts.',
  'NIST.800.53.R5-S3BucketVersioningEnabled':
    'Artifacts are written once per pipeline execution and rebuilt by re-running it; CDK creates this bucket without versioning.',
  'cdk-validator-cfnguard::s3_bucket_versioning_enabled_check':
    'Artifacts are written once per pipeline execution and rebuilt by re-running it; CDK creates this bucket without versioning.',
  'cdk-validator-cfnguard::s3_lifecycle_policy_check':
    'CDK creates this bucket without a lifecycle rule; artifacts are small and the support stack holds nothing else.',
  'cdk-validator-cfnguard::s3_event_notifications_enabled_check':
    'Nothing consumes artifact objects as events; CodePipeline passes them between its actions.',
  'cdk-validator-cfnguard::s3_bucket_object_lock_enabled_check':
    'Artifacts are intermediate build outputs; WORM retention does not apply to them.',
};
