import { Stage, type StageProps, Tags } from 'aws-cdk-lib';
import type { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { IamPermission } from '../runtime/src/tools/definition.js';
import { declaredToolPermissions } from '../runtime/src/tools/permissions.js';
import { AUTHZ_PATHS } from '../runtime/src/authz/metadata.js';
import { type DeploymentConfig, type EnvironmentConfig, serviceRegions } from './config.js';
import { deploymentNames, smokeTestRunnerRoleName } from './naming.js';
import { DataStack } from './stacks/data-stack.js';
import { IdentityStack } from './stacks/identity-stack.js';
import { ServiceStack } from './stacks/service-stack.js';

/** Properties of an {@link EnvironmentStage}. */
export interface EnvironmentStageProps extends StageProps {
  /** Name of the deployment; prefix of stack and resource names. */
  readonly appName: string;
  /** The environment to deploy. */
  readonly environment: EnvironmentConfig;
  /**
   * Include the primary region's data and identity stacks.
   *
   * @default true
   */
  readonly includeSharedStacks?: boolean;
  /**
   * Service regions to deploy a service stack to.
   *
   * @default - every service region of the environment
   */
  readonly regions?: readonly string[];
  /**
   * AWS permissions the tools declare.
   *
   * @default - `declaredToolPermissions()` of the runtime's tool catalog
   */
  readonly toolPermissions?: readonly IamPermission[];
  /**
   * The runtime image.
   *
   * @default - built from `runtime/Dockerfile` on `runtimeBaseImage`
   */
  readonly image?: ContainerImage;
  /**
   * Base image of the runtime image, pinned by digest (`runtimeBaseImage` of the configuration).
   *
   * @default - the Dockerfile's default
   */
  readonly runtimeBaseImage?: string;
  /**
   * Create the sign-in broker's multi-Region token signing key (primary in the data stack, a replica
   * in every other service stack) and sign the broker's tokens with it.
   *
   * @default - with the sign-in broker (`signIn.enabled`)
   */
  readonly tokenSigningKey?: boolean;
  /**
   * The pipeline's smoke test access to this environment (the staging environment of a pipeline).
   * `bin/app.ts` passes the same as the pipeline, so both write the same identity stack.
   *
   * @default - none
   */
  readonly smokeTest?: SmokeTestSettings;
}

/** Where the pipeline's smoke test runs and which machine client it signs in with. */
export interface SmokeTestSettings {
  /** Account of the pipeline. */
  readonly toolchainAccount: string;
  /** Name of the machine client. */
  readonly client: string;
}

/**
 * The smoke test settings of an environment: present for the pipeline's staging environment only.
 * Both apps call this, so `cdk deploy` and the pipeline synthesize the same identity stack.
 */
export function smokeTestSettings(config: DeploymentConfig, env: EnvironmentConfig): SmokeTestSettings | undefined {
  const pipeline = config.pipeline;
  if (!pipeline || pipeline.stagingEnvironment !== env.name) return undefined;
  return { toolchainAccount: pipeline.account, client: pipeline.smokeTestClient };
}

/**
 * One environment (or a regional slice of it) as a deployable unit: the data stack and the identity
 * stack (Cognito profile only) in the primary region, and a service stack per service region. Stack
 * names are fixed by the environment, so `cdk deploy` and the pipeline manage the same stacks.
 *
 * Stacks of different regions exchange no values: they agree on names (`deploymentNames`), and
 * service stacks depend on the shared stacks when both are in this stage.
 */
export class EnvironmentStage extends Stage {
  /** The data stack, when included. */
  public readonly dataStack?: DataStack;
  /** The identity stack, when included and the environment uses the Cognito profile. */
  public readonly identityStack?: IdentityStack;
  /** Service stacks by region. */
  public readonly serviceStacks: Readonly<Record<string, ServiceStack>>;

  constructor(scope: Construct, id: string, props: EnvironmentStageProps) {
    super(scope, id, props);
    const env = props.environment;
    const names = deploymentNames(props.appName, env);
    const allRegions = serviceRegions(env);
    const regions = props.regions ?? allRegions;
    const unknown = regions.find((r) => !allRegions.includes(r));
    if (unknown !== undefined) {
      throw new Error(`regions must be service regions of environment "${env.name}" ${JSON.stringify(allRegions)} (got "${unknown}")`);
    }
    const primary = { account: env.account, region: env.primaryRegion };
    const tokenSigningKey = props.tokenSigningKey ?? env.signIn.enabled;

    if (props.includeSharedStacks ?? true) {
      this.dataStack = new DataStack(this, 'Data', {
        env: primary,
        stackName: names.dataStack,
        description: `Session table of the MCP server (${env.name}), replicated to ${allRegions.join(', ')}`,
        tableName: names.sessionTable,
        requestStateKeyName: names.requestStateKeySecret,
        replicaRegions: env.secondaryRegions,
        deletionProtection: env.deletionProtection,
        tokenSigningKey: tokenSigningKey ? { aliasName: names.tokenSigningKeyAlias, arnParameterName: names.tokenSigningKeyParameter } : undefined,
        terminationProtection: true,
      });
      if (env.identity.kind === 'cognito') {
        this.identityStack = new IdentityStack(this, 'Identity', {
          env: primary,
          stackName: names.identityStack,
          description: `Cognito user pool of the MCP server (${env.name})`,
          identity: env.identity,
          parameterNames: {
            userPoolId: names.userPoolIdParameter,
            clientIds: names.clientIdsParameter,
            machineClientId: names.machineClientIdParameter,
            ...(env.signIn.enabled ? { issuer: names.issuerParameter, brokerClientId: names.brokerClientIdParameter } : {}),
          },
          // The broker's upstream callback on the one public origin every region serves.
          brokerClient: env.signIn.enabled
            ? { callbackUrl: `https://${env.domainName}${AUTHZ_PATHS.callback}`, secretName: names.brokerClientSecret }
            : undefined,
          parameterRegions: env.secondaryRegions,
          deletionProtection: env.deletionProtection,
          smokeTestAccess: props.smokeTest && {
            client: props.smokeTest.client,
            toolchainAccount: props.smokeTest.toolchainAccount,
            runnerRoleName: smokeTestRunnerRoleName(props.appName),
            roleName: names.smokeTestReaderRole,
          },
          terminationProtection: true,
        });
      }
    }

    const toolPermissions = props.toolPermissions ?? declaredToolPermissions();
    const serviceStacks: Record<string, ServiceStack> = {};
    for (const region of regions) {
      const stack = new ServiceStack(this, `Service-${region}`, {
        env: { account: env.account, region },
        stackName: names.serviceStack(region),
        description: `MCP server in ${region} (${env.name})`,
        environment: env,
        names,
        toolPermissions,
        image: props.image,
        runtimeBaseImage: props.runtimeBaseImage,
        tokenSigningKey,
      });
      if (this.dataStack) stack.addStackDependency(this.dataStack, 'the session table replica must exist');
      if (this.identityStack) stack.addStackDependency(this.identityStack, 'the identity parameters must exist');
      serviceStacks[region] = stack;
    }
    this.serviceStacks = serviceStacks;

    Tags.of(this).add('app', props.appName);
    Tags.of(this).add('environment', env.name);
  }
}
