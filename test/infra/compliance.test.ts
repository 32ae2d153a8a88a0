import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { addComplianceChecks } from '../../lib/compliance.js';
import { EnvironmentStage } from '../../lib/environment-stage.js';
import { exampleConfig, newApp } from './support.js';

interface Violation {
  readonly ruleName: string;
  readonly severity: string;
  readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
}
interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{ readonly pluginName: string; readonly violations: readonly Violation[] }>;
}

/** Synthesizes `app` into `outdir`; returns the validation report and the error synth threw, if any. */
function synthesize(app: App, outdir: string): { report: ValidationReport; error?: unknown } {
  let error: unknown;
  try {
    app.synth();
  } catch (thrown) {
    error = thrown;
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
  return { report, error };
}

/** Unacknowledged findings, as `plugin rule at path`, on constructs under `path`. */
function findingsUnder(report: ValidationReport, path: string): string[] {
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) =>
      violation.violatingConstructs
        .filter((c) => c.constructPath === path || c.constructPath?.startsWith(`${path}/`))
        .map((c) => `${plugin.pluginName} ${violation.ruleName} (${violation.severity}) at ${c.constructPath}`),
    ),
  );
}

// GIVEN the app of the example configuration with the compliance checks registered
// WHEN it is synthesized (once, shared by the tests below)
const outdir = mkdtempSync(join(tmpdir(), 'mcp-compliance-'));
const app = newApp({ outdir });
addComplianceChecks(app);
const config = exampleConfig();
const stages = config.environments.map(
  (environment) => new EnvironmentStage(app, environment.name, { appName: config.appName, environment }),
);
const result = synthesize(app, outdir);

describe('compliance', () => {
  for (const stage of stages) {
    for (const stack of stage.node.findAll().filter(Stack.isStack)) {
      test(`${stack.node.path}: cdk-nag (AwsSolutions, NIST 800-53 rev 5) and CloudFormation Guard find nothing unacknowledged`, () => {
        // THEN
        assert.deepEqual(findingsUnder(result.report, stack.node.path), []);
      });
    }
  }

  test('the example app synthesizes with the checks on', () => {
    assert.equal(result.error, undefined);
  });

  test('the checks run: every pack reports a non-compliant bucket', () => {
    // GIVEN a canary app holding a bucket without encryption, logging or a TLS-only policy
    const canaryOutdir = mkdtempSync(join(tmpdir(), 'mcp-compliance-canary-'));
    const canaryApp = newApp({ outdir: canaryOutdir });
    addComplianceChecks(canaryApp);
    const canary = new Stack(canaryApp, 'Canary', { env: { account: '111111111111', region: 'eu-west-1' } });
    new Bucket(canary, 'UnprotectedBucket');
    // WHEN
    const canaryResult = synthesize(canaryApp, canaryOutdir);
    // THEN
    assert.ok(canaryResult.error instanceof Error, 'synth should fail on the canary');
    const findings = findingsUnder(canaryResult.report, 'Canary').join('\n');
    assert.match(findings, /^AwsSolutions AwsSolutions-S10 /m);
    assert.match(findings, /^NIST\.800\.53\.R5 NIST\.800\.53\.R5-S3BucketLoggingEnabled /m);
    assert.match(findings, /^cdk-validator-cfnguard s3_bucket_logging_enabled_check /m);
  });
});
