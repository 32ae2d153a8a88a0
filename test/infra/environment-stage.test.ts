import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { EnvironmentStage } from '../../lib/environment-stage.js';
import { exampleEnvironment, newApp } from './support.js';

const image = ContainerImage.fromRegistry('registry.example.com/enterprise-mcp:test');

describe('EnvironmentStage', () => {
  // GIVEN the staging environment of the example configuration
  // WHEN it becomes a stage (shared by the tests of this block)
  const stage = new EnvironmentStage(newApp(), 'staging', {
    appName: 'mcp-kit',
    environment: exampleEnvironment('staging'),
    image,
  });

  test('puts data and identity in the primary region and a service stack in every region', () => {
    // THEN
    assert.equal(stage.dataStack?.region, 'eu-west-1');
    assert.equal(stage.identityStack?.region, 'eu-west-1');
    assert.deepEqual(Object.keys(stage.serviceStacks).sort(), ['eu-central-1', 'eu-west-1']);
    for (const [region, stack] of Object.entries(stage.serviceStacks)) {
      assert.equal(stack.region, region);
      assert.equal(stack.account, '111111111111');
    }
  });

  test('names the stacks after the deployment, so cdk deploy and the pipeline manage the same stacks', () => {
    assert.equal(stage.dataStack?.stackName, 'mcp-kit-staging-data');
    assert.equal(stage.identityStack?.stackName, 'mcp-kit-staging-identity');
    assert.equal(stage.serviceStacks['eu-central-1']?.stackName, 'mcp-kit-staging-service-eu-central-1');
  });

  test('deploys every service stack after the data and identity stacks', () => {
    for (const stack of Object.values(stage.serviceStacks)) {
      assert.deepEqual(
        stack.dependencies.map((d) => d.stackName).sort(),
        ['mcp-kit-staging-data', 'mcp-kit-staging-identity'],
      );
    }
  });

  test('protects the data and identity stacks from deletion', () => {
    assert.equal(stage.dataStack?.terminationProtection, true);
    assert.equal(stage.identityStack?.terminationProtection, true);
  });

  test('creates no identity stack for an external OIDC issuer', () => {
    // GIVEN
    const environment = exampleEnvironment('staging', (env) => {
      env.identity = { kind: 'oidc', issuer: 'https://login.example.com' };
      env.signIn = { enabled: true, upstream: { clientId: 'broker', clientSecret: 'mcp/broker' } };
    });
    // WHEN
    const oidc = new EnvironmentStage(newApp(), 'staging', { appName: 'mcp-kit', environment, image });
    // THEN
    assert.equal(oidc.identityStack, undefined);
    assert.ok(oidc.dataStack);
  });

  test('can hold one region without the shared stacks (a production wave)', () => {
    // WHEN
    const wave = new EnvironmentStage(newApp(), 'production-eu-central-1', {
      appName: 'mcp-kit',
      environment: exampleEnvironment('production'),
      includeSharedStacks: false,
      regions: ['eu-central-1'],
      image,
    });
    // THEN
    assert.equal(wave.dataStack, undefined);
    assert.deepEqual(Object.keys(wave.serviceStacks), ['eu-central-1']);
    assert.equal(wave.serviceStacks['eu-central-1']?.stackName, 'mcp-kit-production-service-eu-central-1');
  });

  test('fails for a region that is not a service region of the environment', () => {
    assert.throws(
      () =>
        new EnvironmentStage(newApp(), 'staging', {
          appName: 'mcp-kit',
          environment: exampleEnvironment('staging'),
          regions: ['us-east-1'],
          image,
        }),
      /regions must be service regions of environment "staging" \["eu-west-1","eu-central-1"\] \(got "us-east-1"\)/,
    );
  });
});
