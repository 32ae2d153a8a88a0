import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { decodeRequestStateKey } from '../../runtime/src/input/codec.js';
import { RequestStateKey } from '../../lib/constructs/request-state-key.js';
import { deploymentNames } from '../../lib/naming.js';
import { ServiceStack } from '../../lib/stacks/service-stack.js';
import { exampleEnvironment, newApp } from './support.js';

const env = { account: '111111111111', region: 'eu-west-1' };

describe('RequestStateKey', () => {
  // GIVEN the key in eu-west-1 with replicas in eu-central-1 and us-east-1
  const stack = new Stack(newApp(), 'Data', { env });
  new RequestStateKey(stack, 'RequestStateKey', { secretName: 'mcp-kit/staging/request-state-key', replicaRegions: ['eu-central-1', 'us-east-1'] });
  const template = Template.fromStack(stack);

  test('is a generated secret replicated to every other service region', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'mcp-kit/staging/request-state-key',
      GenerateSecretString: { PasswordLength: 43, ExcludePunctuation: true, IncludeSpace: false },
      ReplicaRegions: [{ Region: 'eu-central-1' }, { Region: 'us-east-1' }],
      SecretString: Match.absent(),
    });
  });

  test('a value of the generated shape is a valid MCP_REQUEST_STATE_KEY (43 of [A-Za-z0-9] are base64 of 32 bytes)', () => {
    assert.equal(decodeRequestStateKey('A'.repeat(21) + 'z9'.repeat(11)).length, 32);
  });

  test('fails when a replica repeats the stack region or another replica', () => {
    const app = newApp();
    assert.throws(() => new RequestStateKey(new Stack(app, 'A', { env }), 'K', { secretName: 'k', replicaRegions: ['eu-west-1'] }), /must not repeat the stack's region \(got "eu-west-1"\)/);
    assert.throws(() => new RequestStateKey(new Stack(app, 'B', { env }), 'K', { secretName: 'k', replicaRegions: ['us-east-1', 'us-east-1'] }), /must not repeat a region \(got "us-east-1"\)/);
  });
});

describe('ServiceStack and the requestState key', () => {
  // GIVEN the staging service stack in its secondary region
  const environment = exampleEnvironment('staging');
  const names = deploymentNames('mcp-kit', environment);
  const stack = new ServiceStack(newApp(), 'Service', {
    env: { account: environment.account, region: 'eu-central-1' },
    environment,
    names,
    toolPermissions: [],
    image: ContainerImage.fromRegistry('registry.example.com/enterprise-mcp:test'),
  });
  const template = Template.fromStack(stack);

  test('hands the region\'s replica to the app container as the ECS secret MCP_REQUEST_STATE_KEY, never as an environment variable', () => {
    const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
    const app = (taskDefinition!.Properties.ContainerDefinitions as Array<Record<string, unknown>>).find((c) => c.Name === 'App')!;
    const secrets = app.Secrets as Array<{ Name: string; ValueFrom: unknown }>;
    const secret = secrets.find((s) => s.Name === 'MCP_REQUEST_STATE_KEY');
    assert.ok(secret, 'the container gets the key as a secret');
    assert.match(JSON.stringify(secret.ValueFrom), /secretsmanager:eu-central-1:.*:secret:mcp-kit\/staging\/request-state-key"/);
    const environmentNames = (app.Environment as Array<{ Name: string }>).map((e) => e.Name);
    assert.ok(!environmentNames.includes('MCP_REQUEST_STATE_KEY'));
  });

  test('lets only the execution role read that one secret', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const reading = Object.entries(policies).filter(([, policy]) => JSON.stringify(policy).includes('request-state-key'));
    assert.equal(reading.length, 1, 'one policy grants the key');
    const statements = (reading[0]![1].Properties!.PolicyDocument as { Statement: Array<{ Action: unknown; Resource: unknown }> }).Statement.filter((s) =>
      JSON.stringify(s.Resource).includes('request-state-key'),
    );
    assert.equal(statements.length, 1);
    assert.deepEqual(statements[0]!.Action, ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    assert.match(JSON.stringify(statements[0]!.Resource), /:secret:mcp-kit\/staging\/request-state-key-\?\?\?\?\?\?"/);
    assert.ok(JSON.stringify(reading[0]![1].Properties!.Roles).includes('ExecutionRole'));
  });
});
