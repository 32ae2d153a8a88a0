import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { addComplianceChecks } from '../../lib/compliance.js';
import { serviceApp, type ValidationReport } from './assemblies.js';
import { exampleConfig, newApp } from './support.js';

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

// GIVEN the app of the example configuration with the compliance checks registered, as bin/app.ts builds it
// WHEN it is synthesized (once per test run, shared with the other whole-app tests)
const result = serviceApp();

describe('compliance', () => {
  test('the app holds the stacks of every environment', () => {
    assert.deepEqual(
      result.stacks.map((s) => s.path.split('/')[0]).filter((name, index, all) => all.indexOf(name) === index),
      exampleConfig().environments.map((e) => e.name),
    );
  });

  for (const stack of result.stacks) {
    test(`${stack.path}: cdk-nag (AwsSolutions, NIST 800-53 rev 5) and CloudFormation Guard find nothing unacknowledged`, () => {
      // THEN
      assert.deepEqual(findingsUnder(result.report, stack.path), []);
    });
  }

  test('the example app synthesizes with the checks on', () => {
    assert.equal(result.error, undefined);
    assert.ok(result.stacks.length >= 8, 'data, identity and two service stacks per environment');
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
