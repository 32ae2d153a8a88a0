import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CDK_ASSETS_VERSION, deliveryPipelineStackProps } from '../../pipeline/delivery-pipeline-stack.js';
import { pipelineApp } from './assemblies.js';
import { exampleConfig } from './support.js';

interface Action {
  readonly stage: string;
  /** Position of the action in the pipeline: stage index, then run order. */
  readonly order: readonly [number, number];
  readonly name: string;
  readonly provider: string;
  readonly region?: string;
  readonly roleArn?: unknown;
  readonly configuration: Record<string, unknown>;
}

/** An action as the AWS::CodePipeline::Pipeline resource lists it. */
interface CfnAction {
  readonly Name: string;
  readonly RunOrder: number;
  readonly ActionTypeId: { readonly Provider: string };
  readonly Region?: string;
  readonly RoleArn?: unknown;
  readonly Configuration?: Record<string, unknown>;
}

// GIVEN the pipeline of the example configuration, with the compliance checks registered, as bin/pipeline.ts builds it
// WHEN it is synthesized (once per test run, shared with the other whole-app tests)
const config = exampleConfig();
const synthesized = pipelineApp();
const outdir = synthesized.outdir;
const props = deliveryPipelineStackProps(config);
const stack = synthesized.stacks.find((s) => s.path === 'Pipeline')!;
const synthError = synthesized.error;
const template = Template.fromJSON(synthesized.template(stack));

const actions: Action[] = (() => {
  const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
  const stages = pipeline!.Properties.Stages as Array<{ Name: string; Actions: CfnAction[] }>;
  return stages.flatMap((stage, index) =>
    stage.Actions.map((action) => ({
      stage: stage.Name,
      order: [index, action.RunOrder] as const,
      name: action.Name,
      provider: action.ActionTypeId.Provider,
      region: action.Region,
      roleArn: action.RoleArn,
      configuration: action.Configuration ?? {},
    })),
  );
})();

const before = (a: Action, b: Action) => a.order[0] < b.order[0] || (a.order[0] === b.order[0] && a.order[1] < b.order[1]);
const deployments = (environment: string) =>
  actions.filter(
    (a) =>
      a.provider === 'CloudFormation' &&
      a.configuration.ActionMode === 'CHANGE_SET_EXECUTE' &&
      String(a.configuration.StackName).startsWith(`${config.appName}-${environment}-`),
  );
const approval = actions.find((a) => a.provider === 'Manual');
const smokeTest = actions.find((a) => a.name === 'SmokeTest');
const staging = props.staging;
const production = props.production;

describe('DeliveryPipelineStack', () => {
  test('synthesizes with the compliance checks on, and they find nothing in the pipeline or its support stacks', () => {
    // THEN
    assert.equal(synthError, undefined, String(synthError));
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{ violations: unknown[] }>;
    };
    assert.deepEqual(report.pluginReports.flatMap((p) => p.violations), []);
    const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    assert.ok(templates.some((f) => f.startsWith('cross-region-stack')), 'the cross-region support stack is checked too');
  });

  test('is a CodePipeline of type V2 in the toolchain account', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', { PipelineType: 'V2' });
    assert.equal(stack.account, config.pipeline!.account);
    assert.equal(stack.region, config.pipeline!.region);
  });

  test('takes its source from the configured CodeConnections connection, repository and branch', () => {
    const source = actions.find((a) => a.provider === 'CodeStarSourceConnection');
    assert.deepEqual(
      { arn: source?.configuration.ConnectionArn, repo: source?.configuration.FullRepositoryId, branch: source?.configuration.BranchName },
      { arn: config.pipeline!.connectionArn, repo: config.pipeline!.repository, branch: config.pipeline!.branch },
    );
  });

  test('the synth step installs, lints, runs the tests and synthesizes with the compliance checks', () => {
    const projects = Object.values(template.findResources('AWS::CodeBuild::Project'));
    const synth = projects
      .map((p) => JSON.parse(p.Properties.Source.BuildSpec as string) as { phases: { build: { commands: string[] } } })
      .find((spec) => spec.phases.build.commands.includes('npm run synth:pipeline'));
    assert.deepEqual(synth?.phases.build.commands, [
      'npm ci --ignore-scripts',
      'npm run lint',
      'npm test',
      'npm run synth',
      'npm run synth:pipeline',
    ]);
  });

  test('updates itself before it deploys anything', () => {
    const selfMutation = actions.find((a) => a.stage === 'UpdatePipeline');
    assert.ok(selfMutation, 'no self-mutation stage');
    for (const deployment of [...deployments('staging'), ...deployments('production')]) {
      assert.ok(before(selfMutation, deployment));
    }
  });

  test('encrypts its artifacts with a rotating customer managed key', () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      ArtifactStores: Match.arrayWith([
        Match.objectLike({
          ArtifactStore: Match.objectLike({ EncryptionKey: { Id: { 'Fn::GetAtt': [Match.stringLikeRegexp('ArtifactKey'), 'Arn'] }, Type: 'KMS' } }),
        }),
      ]),
    });
    template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('pipeline artifacts'), EnableKeyRotation: true });
  });

  test('deploys into the staging and production accounts with their CDK deploy roles', () => {
    for (const [environment, account] of [
      ['staging', staging.account],
      ['production', production.account],
    ] as const) {
      for (const deployment of deployments(environment)) {
        assert.match(JSON.stringify(deployment.roleArn), new RegExp(`:${account}:role/cdk-[a-z0-9]+-deploy-role-${account}-`));
      }
    }
  });

  test('builds and publishes the runtime image from runtime/Dockerfile', () => {
    const assetManifests = readdirSync(join(outdir, 'assembly-Pipeline-Staging')).filter((f) => f.endsWith('.assets.json'));
    const dockerImages = assetManifests.flatMap((file) =>
      Object.values(
        (JSON.parse(readFileSync(join(outdir, 'assembly-Pipeline-Staging', file), 'utf8')) as {
          dockerImages: Record<string, { source: { dockerFile?: string } }>;
        }).dockerImages,
      ),
    );
    assert.ok(dockerImages.some((image) => image.source.dockerFile === 'runtime/Dockerfile'));
    assert.ok(actions.some((a) => a.stage === 'Assets' && /AssetImage/.test(a.name)), 'no image publishing action');
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        PrivilegedMode: true,
        EnvironmentVariables: Match.arrayWith([{ Name: 'DOCKER_BUILDKIT', Type: 'PLAINTEXT', Value: '1' }]),
      }),
    });
  });

  test('deploys every staging region in the staging wave', () => {
    const stacks = deployments('staging').map((a) => a.configuration.StackName);
    assert.deepEqual(
      stacks.sort(),
      [
        `${config.appName}-staging-data`,
        `${config.appName}-staging-identity`,
        ...[staging.primaryRegion, ...staging.secondaryRegions].map((r) => `${config.appName}-staging-service-${r}`),
      ].sort(),
    );
  });

  test('smoke-tests staging over MCP after every staging deployment, with no hand-copied secret', () => {
    assert.ok(smokeTest, 'no smoke test');
    for (const deployment of deployments('staging')) assert.ok(before(deployment, smokeTest), `${deployment.name} runs after the smoke test`);
    const readerRole = `arn:aws:iam::${staging.account}:role/${config.appName}-staging-smoke-test-reader`;
    template.hasResourceProperties('AWS::CodeBuild::Project', {
      Environment: Match.objectLike({
        EnvironmentVariables: Match.arrayWith([
          { Name: 'MCP_URL', Type: 'PLAINTEXT', Value: `https://${staging.domainName}/mcp` },
          { Name: 'SMOKE_ROLE_ARN', Type: 'PLAINTEXT', Value: readerRole },
          { Name: 'SMOKE_CLIENT_ID_PARAMETER', Type: 'PLAINTEXT', Value: `/${config.appName}/staging/identity/machine-clients/smoke-test/client-id` },
        ]),
      }),
      Source: Match.objectLike({ BuildSpec: Match.stringLikeRegexp('bash scripts/smoke-staging.sh') }),
    });
    // Nothing the user must create in the toolchain account before the first run.
    for (const project of Object.values(template.findResources('AWS::CodeBuild::Project'))) {
      const variables = (project.Properties.Environment.EnvironmentVariables ?? []) as Array<{ Type: string }>;
      assert.deepEqual(variables.filter((v) => v.Type === 'SECRETS_MANAGER'), []);
    }
    // The smoke project's role, with its fixed name, may assume the staging reader role and nothing else of STS.
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: `${config.appName}-smoke-test` });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sts:AssumeRole', Resource: readerRole })]) },
    });
  });

  test('the staging identity stack lets only the smoke role read the smoke client, read-only', () => {
    const identity = synthesized.stacks.find((s) => s.stackName === `${config.appName}-staging-identity`)!;
    const identityTemplate = Template.fromJSON(synthesized.template(identity));
    identityTemplate.hasResourceProperties('AWS::IAM::Role', {
      RoleName: `${config.appName}-staging-smoke-test-reader`,
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { AWS: `arn:aws:iam::${config.pipeline!.account}:root` },
            Condition: { ArnEquals: { 'aws:PrincipalArn': `arn:aws:iam::${config.pipeline!.account}:role/${config.appName}-smoke-test` } },
          }),
        ],
      },
    });
    const actions = Object.values(identityTemplate.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('SmokeTestAccess'))
      .flatMap((p) => (p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((st) => [st.Action].flat()));
    assert.deepEqual(actions.sort(), ['cognito-idp:DescribeUserPoolClient', 'ssm:GetParameter']);
  });

  test('the source action may use the connection with the IAM prefix of its ARN', () => {
    // GIVEN the configured ARN is a codeconnections one
    assert.match(config.pipeline!.connectionArn, /^arn:aws:codeconnections:/);
    // THEN
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
    );
    const onConnection = statements.filter((st) => st.Resource === config.pipeline!.connectionArn);
    assert.deepEqual(onConnection.map((st) => st.Action), ['codeconnections:UseConnection']);
  });

  test('the asset-publishing steps install the pinned cdk-assets', () => {
    const specs = Object.values(template.findResources('AWS::CodeBuild::Project')).map((p) => String(p.Properties.Source.BuildSpec));
    const installs = specs.flatMap((spec) => spec.match(/npm install -g cdk-assets@[^"\\ ]+/g) ?? []);
    assert.ok(installs.length > 0, 'no asset-publishing step');
    assert.deepEqual([...new Set(installs)], [`npm install -g cdk-assets@${CDK_ASSETS_VERSION}`]);
    assert.match(CDK_ASSETS_VERSION, /^\d+\.\d+\.\d+$/);
  });

  test('builds the runtime image on the base image pinned in the configuration', () => {
    const manifests = readdirSync(join(outdir, 'assembly-Pipeline-Staging')).filter((f) => f.endsWith('.assets.json'));
    const images = manifests.flatMap((file) =>
      Object.values(
        (JSON.parse(readFileSync(join(outdir, 'assembly-Pipeline-Staging', file), 'utf8')) as {
          dockerImages: Record<string, { source: { dockerBuildArgs?: Record<string, string> } }>;
        }).dockerImages,
      ),
    );
    assert.ok(images.length > 0);
    for (const image of images) {
      assert.equal(image.source.dockerBuildArgs?.NODE_IMAGE, config.runtimeBaseImage);
    }
    assert.match(config.runtimeBaseImage, /^public\.ecr\.aws\/docker\/library\/node:22[^@]*@sha256:[0-9a-f]{64}$/);
  });

  test('the Dockerfile builds on the same pinned image when built by hand', () => {
    const dockerfile = readFileSync('runtime/Dockerfile', 'utf8');
    assert.equal(/^ARG NODE_IMAGE=(.+)$/m.exec(dockerfile)?.[1], config.runtimeBaseImage);
    assert.deepEqual(dockerfile.match(/^FROM .+$/gm), ['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS dependencies', 'FROM ${NODE_IMAGE}']);
  });

  test('holds every production deployment until a person approves, after staging and the smoke test', () => {
    assert.ok(approval, 'no manual approval');
    for (const deployment of deployments('staging')) assert.ok(before(deployment, approval), `${deployment.name} is not before the approval`);
    assert.ok(before(smokeTest!, approval));
    const productionDeployments = deployments('production');
    assert.ok(productionDeployments.length > 0);
    for (const deployment of productionDeployments) assert.ok(before(approval, deployment), `${deployment.name} is not after the approval`);
  });

  test('tells the approvers by SNS what changed and where to look', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: config.pipeline!.approverEmails[0] });
    assert.match(JSON.stringify(approval?.configuration.NotificationArn), /ApprovalTopic/);
    const comment = String(approval?.configuration.CustomData);
    assert.match(comment, /#\{Source@[^}]+\.CommitId\}/, 'the commit being promoted');
    assert.match(comment, new RegExp(`https://${staging.domainName}/mcp`), 'where it runs');
    assert.match(comment, /smoke test/, 'what was checked');
    assert.match(comment, new RegExp(`${production.primaryRegion} → ${production.secondaryRegions[0]}`), 'what approving does');
    assert.match(String(approval?.configuration.ExternalEntityLink), /cloudwatch\/home\?region=.*#dashboards\/dashboard\//);
  });

  test('reaches every configured production region', () => {
    const regions = new Set(deployments('production').map((a) => a.region ?? stack.region));
    assert.deepEqual([...regions].sort(), [production.primaryRegion, ...production.secondaryRegions].sort());
  });

  test('deploys the production primary region (with data and identity) before the other regions', () => {
    const primaryStacks = [`${config.appName}-production-data`, `${config.appName}-production-identity`, `${config.appName}-production-service-${production.primaryRegion}`];
    const primary = deployments('production').filter((a) => primaryStacks.includes(String(a.configuration.StackName)));
    const others = deployments('production').filter((a) => !primaryStacks.includes(String(a.configuration.StackName)));
    assert.equal(primary.length, 3);
    assert.equal(others.length, production.secondaryRegions.length);
    for (const first of primary) for (const later of others) assert.ok(before(first, later), `${later.name} before ${first.name}`);
  });

  test('fails when the configuration has no pipeline section', () => {
    // GIVEN
    const withoutPipeline = { ...exampleConfig(), pipeline: undefined };
    // WHEN / THEN
    assert.throws(() => deliveryPipelineStackProps(withoutPipeline), /pipeline must be configured .* \(got undefined\)/);
  });
});
