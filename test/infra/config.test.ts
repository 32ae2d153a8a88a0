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

describe('deployment configuration: sign-in', () => {
  const oidc = (json: LooseJson, upstream?: LooseJson) => {
    json.environments[0].identity = { kind: 'oidc', issuer: 'https://login.example.com/oauth2/default' };
    json.environments[0].signIn = { enabled: true, ...(upstream ? { upstream } : {}) };
  };

  test('is off by default and fills in the broker defaults when on', () => {
    // GIVEN
    const json: LooseJson = exampleConfigJson();
    json.environments[1].signIn = { enabled: true };
    // WHEN
    const config = parseDeploymentConfig(json);
    // THEN
    const production = config.environments[1]!;
    assert.equal(production.signIn.enabled, true);
    assert.equal(production.signIn.dynamicRegistration, true);
    assert.equal(production.signIn.clientMetadataDocuments, true);
    assert.equal(production.signIn.accessTokenMinutes, 10);
    assert.deepEqual(production.waf.signInRateLimits, { register: 100, token: 3000, authorize: 1000 });
    delete json.environments[1].signIn;
    assert.equal(parseDeploymentConfig(json).environments[1]!.signIn.enabled, false);
  });

  test('accepts an external provider with a client id and a secret name or full ARN', () => {
    for (const clientSecret of ['mcp/broker', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:mcp/broker-AbC123']) {
      const json: LooseJson = exampleConfigJson();
      oidc(json, { clientId: '0oa1b2c3d4', clientSecret });
      delete json.pipeline;
      const staging = parseDeploymentConfig(json).environments[0]!;
      assert.equal(staging.signIn.upstream?.clientSecret, clientSecret);
      assert.deepEqual(staging.signIn.upstream?.scopes, ['openid', 'email', 'profile']);
    }
  });

  test('fails when an external provider has no client for the broker', () => {
    const message = errorAfter((json) => oidc(json));
    assert.match(message, /environments\[0\]\.signIn\.upstream: is required with an oidc identity/);
  });

  test('fails naming an ill-formed client secret reference', () => {
    const cases: Array<[string, RegExp]> = [
      ['arn:aws:secretsmanager:eu-west-1:111111111111:secret:mcp/broker', /must be the full secret ARN/],
      ['arn:aws:ssm:eu-west-1:111111111111:parameter/broker', /must be a Secrets Manager secret ARN/],
      ['broker secret', /must be a Secrets Manager secret name/],
      ['mcp/broker-client', /must not end in "-" and six characters/],
      ['arn:aws:secretsmanager:eu-west-1:999999999999:secret:mcp/broker-AbC123', /must be a secret of the environment's account 111111111111 \(got account 999999999999\)/],
      ['arn:aws:secretsmanager:us-east-1:111111111111:secret:mcp/broker-AbC123', /must be a secret of a service region .* \(got "us-east-1"\)/],
    ];
    for (const [clientSecret, pattern] of cases) {
      const message = errorAfter((json) => oidc(json, { clientId: 'broker', clientSecret }));
      assert.match(message, /signIn\.upstream\.clientSecret: /, clientSecret);
      assert.match(message, pattern, clientSecret);
    }
  });

  test('fails when the upstream scopes leave out openid, or the client id is missing', () => {
    assert.match(
      errorAfter((json) => oidc(json, { clientId: 'broker', clientSecret: 'mcp/broker', scopes: ['email'] })),
      /signIn\.upstream\.scopes: must include "openid"/,
    );
    assert.match(errorAfter((json) => oidc(json, { clientSecret: 'mcp/broker' })), /signIn\.upstream\.clientId: /);
  });

  test('fails when a Cognito environment names an upstream client (the kit creates it)', () => {
    const message = errorAfter((json) => {
      json.environments[0].signIn = { enabled: true, upstream: { clientId: 'x', clientSecret: 'mcp/broker' } };
    });
    assert.match(message, /environments\[0\]\.signIn\.upstream: must be left out with a Cognito identity/);
  });

  test('fails naming an allow or deny entry that is neither a metadata document URL nor a host', () => {
    for (const entry of ['http://vscode.dev/oauth/client-metadata.json', 'https://vscode.dev/', 'https://vscode.dev/x#y', 'Claude.AI', 'claude.ai/path', 'a,b']) {
      const message = errorAfter((json) => {
        json.environments[0].signIn = { enabled: true, allowClients: [entry] };
      });
      assert.match(message, /signIn\.allowClients\[0\]: must be a client metadata document URL/, entry);
    }
  });

  test('fails when the lists contradict each other or no client could register', () => {
    assert.match(
      errorAfter((json) => {
        json.environments[0].signIn = { enabled: true, allowClients: ['claude.ai'], denyClients: ['claude.ai'] };
      }),
      /signIn\.denyClients\[0\]: must not also be allowed \(got "claude\.ai"\)/,
    );
    assert.match(
      errorAfter((json) => {
        json.environments[0].signIn = { enabled: true, dynamicRegistration: false, clientMetadataDocuments: false };
      }),
      /signIn\.dynamicRegistration: must be true when clientMetadataDocuments is false/,
    );
    assert.match(
      errorAfter((json) => {
        json.environments[0].signIn = { enabled: true, clientMetadataDocuments: false, allowClients: ['claude.ai'] };
      }),
      /signIn\.allowClients: must be empty when clientMetadataDocuments is false/,
    );
  });

  test('fails when a sign-in rate limit is below WAF\'s minimum or above the per-IP limit', () => {
    for (const [endpoint, limit] of [['register', 5], ['token', 30_001], ['authorize', 0]] as const) {
      const message = errorAfter((json) => {
        json.environments[0].signIn = { enabled: true };
        json.environments[0].waf = { rateLimit: 30_000, signInRateLimits: { [endpoint]: limit } };
      });
      assert.match(message, new RegExp(`waf\\.signInRateLimits\\.${endpoint}: must lie between WAF's minimum of 10 and waf\\.rateLimit 30000.*\\(got ${limit}\\)`));
    }
  });
});
