// Whole-app checks of the synthesized templates of both CDK apps (bin/app.ts and bin/pipeline.ts):
// cfn-lint over every template, and `cdk deploy` writing the same templates as the pipeline.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { pipelineApp, serviceApp, type SynthesizedApp, type SynthesizedStack, type TemplateJson } from './assemblies.js';
import { exampleConfig } from './support.js';

/**
 * cfn-lint findings (checked with cfn-lint 1.51.0) that are the linter's lag behind CloudFormation, not defects of the templates:
 * rule, resource type, and why. Every other error, and I3510 (an IAM action whose prefix does not
 * match the resource's service), fails the test.
 */
const LINTER_LAG: ReadonlyArray<{ rule: string; resourceType: string; message?: RegExp; reason: string }> = [
  {
    rule: 'E3703',
    resourceType: 'AWS::CodePipeline::Pipeline',
    message: /^Prefer using Fn::Sub over Fn::Join with an empty delimiter$/,
    reason:
      'The informational style hint I1022, which cfn-lint 1.51 reports under the error id E3703 inside pipeline action ' +
      'configurations once informational checks are included (here for I3510); CDK Pipelines writes these role ARNs.',
  },
  {
    rule: 'E3002',
    resourceType: 'AWS::ElasticLoadBalancingV2::Listener',
    reason: 'CloudFormation accepts Tags on listeners (CDK writes them); cfn-lint 1.51\'s schema for the type lacks the property.',
  },
  {
    rule: 'E3002',
    resourceType: 'AWS::CloudWatch::Dashboard',
    reason: 'CloudFormation accepts Tags on dashboards (CDK writes them); cfn-lint 1.51\'s schema for the type lacks the property.',
  },
  {
    rule: 'E3002',
    resourceType: 'AWS::ApplicationAutoScaling::ScalableTarget',
    reason: 'CloudFormation accepts Tags on scalable targets (CDK writes them); cfn-lint 1.51\'s schema for the type lacks the property.',
  },
];

interface LintFinding {
  readonly Filename: string;
  readonly Level: string;
  readonly Message: string;
  readonly Rule: { readonly Id: string };
  readonly Location: { readonly Path?: ReadonlyArray<string | number> };
}

function cfnLintVersion(): string | undefined {
  const probe = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

/** Runs cfn-lint once over every template; returns its findings (JSON output). */
function lint(files: readonly string[]): LintFinding[] {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--include-checks', 'I3510', '--', ...files], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  return JSON.parse(run.stdout || '[]') as LintFinding[];
}

/** A template with what legitimately differs between two apps taken out: construct paths in metadata. */
function comparable(template: TemplateJson): unknown {
  const resources = Object.fromEntries(
    Object.entries(template.Resources)
      // The analytics resource records the app's construct tree, not a deployed resource.
      .filter(([, resource]) => resource.Type !== 'AWS::CDK::Metadata')
      .map(([id, { Metadata: _metadata, ...resource }]) => [id, resource]),
  );
  const { Conditions, ...rest } = template as Record<string, unknown>;
  const conditions = Object.fromEntries(Object.entries((Conditions ?? {}) as Record<string, unknown>).filter(([id]) => id !== 'CDKMetadataAvailable'));
  return { ...rest, Resources: resources, Conditions: conditions };
}

const byName = (app: SynthesizedApp) => new Map(app.stacks.map((s) => [s.stackName, s] as const));

describe('synthesized templates', () => {
  // GIVEN both apps of the example configuration, synthesized once per test run
  const service = serviceApp();
  const pipeline = pipelineApp();

  test('both apps synthesize', () => {
    assert.equal(service.error, undefined, service.error);
    assert.equal(pipeline.error, undefined, pipeline.error);
  });

  describe('cdk deploy and the pipeline', () => {
    const config = exampleConfig();
    const fromApp = byName(service);
    const fromPipeline = byName(pipeline);
    const environments = [config.pipeline!.stagingEnvironment, config.pipeline!.productionEnvironment];
    const shared = [...fromApp.values()].filter((s) => environments.some((e) => s.stackName.startsWith(`${config.appName}-${e}-`)));

    test('manage the same stacks of the staging and production environments', () => {
      const names = (stacks: Iterable<SynthesizedStack>) =>
        [...stacks].map((s) => s.stackName).filter((n) => environments.some((e) => n.startsWith(`${config.appName}-${e}-`))).sort();
      assert.ok(shared.length >= 8);
      assert.deepEqual(names(fromPipeline.values()), names(fromApp.values()));
    });

    for (const stack of shared) {
      test(`write the same template for ${stack.stackName}, so moving between them replaces nothing`, () => {
        // WHEN
        const mine = comparable(service.template(stack));
        const theirs = comparable(pipeline.template(fromPipeline.get(stack.stackName)!));
        // THEN
        assert.deepEqual(theirs, mine);
      });
    }
  });

  describe('cfn-lint', () => {
    const version = cfnLintVersion();
    const templates = [...service.stacks, ...pipeline.stacks].map((s) => s.templateFile);

    test('finds no error in any template of either app', { skip: version ? false : 'cfn-lint is not on the PATH (pip install cfn-lint): templates not linted' }, () => {
      // WHEN
      const findings = lint(templates);
      // THEN
      const typeAt = (finding: LintFinding): string | undefined => {
        const [section, resource] = finding.Location.Path ?? [];
        if (section !== 'Resources' || typeof resource !== 'string') return undefined;
        const template = JSON.parse(readFileSync(finding.Filename, 'utf8')) as TemplateJson;
        return template.Resources[resource]?.Type;
      };
      const failing = findings
        .filter((f) => f.Level === 'Error' || f.Rule.Id === 'I3510')
        .filter(
          (f) =>
            !LINTER_LAG.some(
              (lag) => lag.rule === f.Rule.Id && lag.resourceType === typeAt(f) && (lag.message?.test(f.Message) ?? true),
            ),
        )
        .map((f) => `${f.Rule.Id} ${f.Filename} ${(f.Location.Path ?? []).join('/')}: ${f.Message}`);
      assert.deepEqual(failing, [], `cfn-lint ${version}`);
      assert.ok(templates.length >= 12, 'every stack of both apps, the cross-region support stack included');
    });
  });
});
