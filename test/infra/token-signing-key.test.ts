import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { addComplianceChecks } from '../../lib/compliance.js';
import { TOKEN_SIGNING_ACTIONS, TokenSigningKey } from '../../lib/constructs/token-signing-key.js';
import { EnvironmentStage } from '../../lib/environment-stage.js';
import { exampleEnvironment, newApp } from './support.js';

const account = '111111111111';
const PRIMARY_ARN = `arn:aws:kms:eu-west-1:${account}:key/mrk-1234abcd12ab34cd56ef1234567890ab`;

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Sid?: string; Effect: string; Action: string | string[]; Resource: unknown; Principal?: unknown; Condition?: unknown };

function resources(template: Template, type: string): Resource[] {
  return Object.values(template.findResources(type)) as Resource[];
}

/** The statements of every IAM policy in the template that name a KMS action. */
function kmsStatements(template: Template): Statement[] {
  return resources(template, 'AWS::IAM::Policy')
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
    .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('kms:')));
}

function assertLeastPrivilegeKeyPolicy(policy: { Statement: Statement[] }): void {
  const allows = policy.Statement.filter((statement) => statement.Effect === 'Allow');
  assert.equal(allows.length, 1, 'one Allow: the account, so that IAM policies (the task role\'s grant) decide');
  assert.deepEqual(allows[0]!.Action, 'kms:*');
  assert.match(JSON.stringify(allows[0]!.Principal), /:root/);
  const deny = policy.Statement.find((statement) => statement.Sid === 'GrantsOnlyForAwsResources');
  assert.equal(deny?.Effect, 'Deny', 'grants only for AWS resources (CT.KMS.PR.3)');
}

describe('TokenSigningKey', () => {
  test('the primary is a multi-Region ECC_NIST_P256 SIGN_VERIFY key, kept except after a failed create, with its alias', () => {
    const stack = new Stack(newApp(), 'Data', { env: { account, region: 'eu-west-1' } });
    new TokenSigningKey(stack, 'TokenSigningKey', { aliasName: 'alias/mcp-token-signing' });
    const template = Template.fromStack(stack);
    const [key] = resources(template, 'AWS::KMS::Key');
    assert.equal(resources(template, 'AWS::KMS::Key').length, 1);
    assert.equal(key!.Properties.KeySpec, 'ECC_NIST_P256');
    assert.equal(key!.Properties.KeyUsage, 'SIGN_VERIFY');
    assert.equal(key!.Properties.MultiRegion, true);
    assert.equal(key!.Properties.EnableKeyRotation, undefined, 'asymmetric keys do not rotate; a new key is introduced beside');
    assert.equal(key!.DeletionPolicy, 'RetainExceptOnCreate');
    assert.equal(key!.UpdateReplacePolicy, 'Retain');
    assertLeastPrivilegeKeyPolicy(key!.Properties.KeyPolicy as { Statement: Statement[] });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/mcp-token-signing' });
  });

  test('a replica names its primary, carries the same key policy and alias, and is kept the same way', () => {
    const stack = new Stack(newApp(), 'Service', { env: { account, region: 'eu-central-1' } });
    const replica = new TokenSigningKey(stack, 'TokenSigningKey', { aliasName: 'alias/mcp-token-signing', primaryKeyArn: PRIMARY_ARN });
    const template = Template.fromStack(stack);
    assert.equal(resources(template, 'AWS::KMS::Key').length, 0);
    const [key] = resources(template, 'AWS::KMS::ReplicaKey');
    assert.equal(key!.Properties.PrimaryKeyArn, PRIMARY_ARN);
    assert.equal(key!.DeletionPolicy, 'RetainExceptOnCreate');
    assertLeastPrivilegeKeyPolicy(key!.Properties.KeyPolicy as { Statement: Statement[] });
    template.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/mcp-token-signing' });
    assert.match(JSON.stringify(stack.resolve(replica.keyArn)), /Fn::GetAtt.*Arn/);
  });

  test('grantSign gives kms:Sign and kms:GetPublicKey on this key alone', () => {
    const stack = new Stack(newApp(), 'Service', { env: { account, region: 'eu-central-1' } });
    const replica = new TokenSigningKey(stack, 'TokenSigningKey', { aliasName: 'alias/mcp-token-signing', primaryKeyArn: PRIMARY_ARN });
    replica.grantSign(new Role(stack, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') }));
    const statements = kmsStatements(Template.fromStack(stack));
    assert.equal(statements.length, 1);
    assert.deepEqual([statements[0]!.Action].flat().sort(), [...TOKEN_SIGNING_ACTIONS].sort());
    assert.deepEqual(stack.resolve(statements[0]!.Resource), stack.resolve(replica.keyArn));
  });

  test('refuses an alias that is not one', () => {
    const stack = new Stack(newApp(), 'Data', { env: { account, region: 'eu-west-1' } });
    assert.throws(() => new TokenSigningKey(stack, 'A', { aliasName: 'token-signing' }), /must start with "alias\/"/);
    assert.throws(() => new TokenSigningKey(stack, 'B', { aliasName: 'alias/aws/kms' }), /AWS managed key/);
  });
});

describe('EnvironmentStage with the token signing key', () => {
  // GIVEN the staging environment (primary eu-west-1, service regions eu-west-1 and eu-central-1)
  // WHEN it becomes a stage with the compliance checks, as bin/app.ts builds it
  const app = newApp();
  addComplianceChecks(app);
  const stage = new EnvironmentStage(app, 'staging', {
    appName: 'mcp-kit',
    environment: exampleEnvironment('staging'),
    image: ContainerImage.fromRegistry('registry.example.com/enterprise-mcp:test'),
    tokenSigningKey: true,
  });
  // cdk-nag and Guard run here: an unacknowledged finding throws.
  const data = Template.fromStack(stage.dataStack!);
  const primary = Template.fromStack(stage.serviceStacks['eu-west-1']!);
  const secondary = Template.fromStack(stage.serviceStacks['eu-central-1']!);

  test('the primary key lives in the data stack; its ARN is published in every service region', () => {
    assert.equal(resources(data, 'AWS::KMS::Key').filter((key) => key.Properties.KeySpec === 'ECC_NIST_P256').length, 1);
    data.hasResourceProperties('AWS::SSM::Parameter', { Name: '/mcp-kit/staging/sign-in/token-signing-key-arn' });
    assert.match(JSON.stringify(data.toJSON()), /eu-central-1/, 'copied into the other service region');
  });

  test('the other region makes a replica of it; the primary region makes none', () => {
    assert.equal(resources(secondary, 'AWS::KMS::ReplicaKey').length, 1);
    assert.equal(resources(primary, 'AWS::KMS::ReplicaKey').length, 0);
    secondary.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/mcp-kit-staging-token-signing' });
  });

  test('each region\'s task signs with its own region\'s key: the ARN in MCP_BROKER_SIGNING_KEY_ID, Sign and GetPublicKey granted on it alone', () => {
    for (const [template, stack] of [[primary, stage.serviceStacks['eu-west-1']!], [secondary, stage.serviceStacks['eu-central-1']!]] as const) {
      const [taskDefinition] = resources(template, 'AWS::ECS::TaskDefinition');
      const containers = taskDefinition!.Properties.ContainerDefinitions as { Name: string; Environment: { Name: string; Value: unknown }[] }[];
      const variable = containers.find((c) => c.Name === 'App')!.Environment.find((e) => e.Name === 'MCP_BROKER_SIGNING_KEY_ID');
      assert.ok(variable, 'the key is passed to the runtime');
      const statements = kmsStatements(template).filter((statement) => [statement.Action].flat().includes('kms:Sign'));
      assert.equal(statements.length, 1);
      assert.deepEqual([statements[0]!.Action].flat().sort(), [...TOKEN_SIGNING_ACTIONS].sort());
      assert.deepEqual(stack.resolve(statements[0]!.Resource), stack.resolve(variable.Value), 'granted on exactly the key the task uses');
      assert.doesNotMatch(JSON.stringify(statements[0]!.Resource), /\*/, 'no wildcard');
    }
  });

  test('cfn-lint finds no error in the templates that hold the key', { skip: spawnSync('cfn-lint', ['--version']).status === 0 ? false : 'cfn-lint is not on the PATH (pip install cfn-lint)' }, () => {
    const assembly = app.synth();
    const files = [stage.dataStack!, stage.serviceStacks['eu-central-1']!].map((stack) => `${assembly.directory}/${stage.artifactId}/${stack.templateFile}`);
    const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const findings = JSON.parse(run.stdout || '[]') as { Level: string; Rule: { Id: string }; Message: string; Location: { Path?: unknown[] } }[];
    // E3002 on Tags of listeners and scalable targets is cfn-lint 1.51 lagging CloudFormation (see templates.test.ts).
    const errors = findings.filter((f) => f.Level === 'Error' && !(f.Rule.Id === 'E3002' && /Tags/.test(f.Message)));
    assert.deepEqual(errors.map((f) => `${f.Rule.Id} ${(f.Location.Path ?? []).join('/')}: ${f.Message}`), []);
  });
});
