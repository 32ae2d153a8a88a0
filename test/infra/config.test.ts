import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DeploymentConfigError, loadDeploymentConfig, parseDeploymentConfig, serviceRegions } from '../../lib/config.js';
import { exampleConfigJson } from './support.js';

/** The example configuration as loose JSON that a test may break anywhere. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reach into arbitrary JSON to break one value
type LooseJson = Record<string, any>;

/**
 * GIVEN the example configuration with one value broken by `change`, WHEN it is parsed, THEN it must be
 * refused with a DeploymentConfigError; returns the message for the test to check.
 */
function errorAfter(change: (json: LooseJson) => void): string {
  const json = exampleConfigJson();
  change(json);
  try {
    parseDeploymentConfig(json);
  } catch (error) {
    assert.ok(error instanceof DeploymentConfigError, `expected a DeploymentConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail('expected the configuration to be refused');
}

describe('deployment configuration', () => {
  test('accepts the example configuration and fills in the defaults', () => {
    // GIVEN
    const json = exampleConfigJson();
    // WHEN
    const config = parseDeploymentConfig(json);
    // THEN
    const staging = config.environments[0]!;
    assert.deepEqual(serviceRegions(staging), ['eu-west-1', 'eu-central-1']);
    assert.equal(staging.service.cpu, 512);
    assert.equal(staging.observability.metricsNamespace, 'EnterpriseMcp');
    assert.equal(config.pipeline?.branch, 'main');
  });

  test('the example has at least two service regions in every environment', () => {
    // GIVEN / WHEN
    const config = parseDeploymentConfig(exampleConfigJson());
    // THEN
    for (const env of config.environments) {
      assert.ok(serviceRegions(env).length >= 2, `${env.name} has ${serviceRegions(env).length} region(s)`);
    }
  });

  test('fails naming the key and the value of a malformed account', () => {
    const message = errorAfter((json) => {
      json.environments[0].account = '12345';
    });
    assert.match(message, /environments\[0\]\.account: must be a 12-digit AWS account id \(got "12345"\)/);
  });

  test('fails when a secondary region repeats the primary region', () => {
    const message = errorAfter((json) => {
      json.environments[0].secondaryRegions = ['eu-west-1'];
    });
    assert.match(message, /environments\[0\]\.secondaryRegions: must not repeat the primary region \(got "eu-west-1"\)/);
  });

  test('fails when a region is not a region code', () => {
    const message = errorAfter((json) => {
      json.environments[0].primaryRegion = 'Ireland';
    });
    assert.match(message, /environments\[0\]\.primaryRegion: must be an AWS region code .*\(got "Ireland"\)/);
  });

  test('fails when fewer than two tasks are asked for', () => {
    const message = errorAfter((json) => {
      json.environments[1].service.desiredCount = 1;
    });
    assert.match(message, /environments\[1\]\.service\.desiredCount: must be at least 2 \(got 1\)/);
  });

  test('fails when the memory does not fit the CPU size', () => {
    const message = errorAfter((json) => {
      json.environments[1].service.memoryMiB = 512;
    });
    assert.match(message, /environments\[1\]\.service\.memoryMiB: must be 2048-8192 in steps of 1024 for cpu 1024 \(got 512\)/);
  });

  test('fails when the domain lies outside the hosted zone', () => {
    const message = errorAfter((json) => {
      json.environments[0].domainName = 'mcp.example.org';
    });
    assert.match(message, /environments\[0\]\.domainName: must lie inside the hosted zone "staging\.example\.com" \(got "mcp\.example\.org"\)/);
  });

  test('fails when the collector image is not pinned by digest', () => {
    const message = errorAfter((json) => {
      json.environments[0].service.otelCollectorImage = 'public.ecr.aws/aws-observability/aws-otel-collector:latest';
    });
    assert.match(message, /environments\[0\]\.service\.otelCollectorImage: must be an image pinned by digest/);
  });

  test('fails on an unknown key, naming it', () => {
    const message = errorAfter((json) => {
      json.environments[0].service.desiredTasks = 3;
    });
    assert.match(message, /environments\[0\]\.service: unrecognized key: "desiredTasks"/);
  });

  test('fails when a machine client asks for a scope the resource server does not declare', () => {
    const message = errorAfter((json) => {
      json.environments[0].identity.machineClients = [{ name: 'smoke-test', scopes: ['mcp:admin'] }];
    });
    assert.match(message, /identity\.machineClients\[0\]\.scopes\[0\]: must name a scope of the resource server \(got "mcp:admin"\)/);
  });

  test('fails when an identity kind is unknown', () => {
    const message = errorAfter((json) => {
      json.environments[0].identity = { kind: 'saml' };
    });
    assert.match(message, /environments\[0\]\.identity\.kind: must have kind "cognito" or "oidc"/);
  });

  test('fails when the oidc issuer is not https', () => {
    const message = errorAfter((json) => {
      json.environments[0].identity = { kind: 'oidc', issuer: 'http://idp.example.com' };
    });
    assert.match(message, /environments\[0\]\.identity\.issuer: must use https \(got "http:\/\/idp\.example\.com"\)/);
  });

  test('fails when the pipeline names an environment that does not exist', () => {
    const message = errorAfter((json) => {
      json.pipeline.productionEnvironment = 'prod';
    });
    assert.match(message, /pipeline\.productionEnvironment: must name one of the environments "staging", "production" \(got "prod"\)/);
  });

  test('fails when the pipeline connection is not a CodeConnections ARN', () => {
    const message = errorAfter((json) => {
      json.pipeline.connectionArn = 'arn:aws:s3:::bucket';
    });
    assert.match(message, /pipeline\.connectionArn: must be a CodeConnections connection ARN \(got "arn:aws:s3:::bucket"\)/);
  });

  test('fails when two environments share a name', () => {
    const message = errorAfter((json) => {
      json.environments[1].name = 'staging';
    });
    assert.match(message, /environments\[1\]\.name: must be unique \(got "staging"\)/);
  });

  test('fails naming the file when it is not JSON', () => {
    // GIVEN
    const path = join(mkdtempSync(join(tmpdir(), 'mcp-config-')), 'broken.json');
    writeFileSync(path, '{ "appName": ');
    // WHEN / THEN
    assert.throws(() => loadDeploymentConfig(path), /deployment configuration ".*broken\.json" is not valid JSON/);
  });

  test('fails naming the file when it cannot be read', () => {
    assert.throws(() => loadDeploymentConfig('config/does-not-exist.json'), /cannot read deployment configuration "config\/does-not-exist\.json"/);
  });

  test('fails when the WAF rate limit would block one user working at the runtime limit (a whole NAT shares one address)', () => {
    const message = errorAfter((json) => {
      json.environments[0].waf = { rateLimit: 1000 };
    });
    assert.match(message, /environments\[0\]\.waf\.rateLimit: must admit at least one user .* 3000 per 300 s.*\(got 1000\)/);
  });

  test('sizes the default WAF rate limit for ten users behind one NAT address', () => {
    const json = exampleConfigJson() as LooseJson;
    delete json.environments[0].waf;
    assert.equal(parseDeploymentConfig(json).environments[0]!.waf.rateLimit, 30_000);
  });

  test('starts without resource deletion protection, so a failed first create rolls back', () => {
    const config = parseDeploymentConfig(exampleConfigJson());
    assert.deepEqual(config.environments.map((e) => e.deletionProtection), [false, false]);
  });

  test('fails when the runtime base image is not pinned by digest', () => {
    const message = errorAfter((json) => {
      json.runtimeBaseImage = 'public.ecr.aws/docker/library/node:22-bookworm-slim';
    });
    assert.match(message, /runtimeBaseImage: must be an image pinned by digest/);
  });

  test('fails when the smoke test client is not a machine client of staging', () => {
    const message = errorAfter((json) => {
      json.pipeline.smokeTestClient = 'nobody';
    });
    assert.match(message, /pipeline\.smokeTestClient: must name a machine client of the staging environment's Cognito identity \["smoke-test"\] \(got "nobody"\)/);
  });
});
