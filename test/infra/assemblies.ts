// The two CDK apps synthesized as `cdk synth` synthesizes them (compliance checks on), once per test
// run and shared by every test file that needs a whole app: synth takes a minute on a loaded machine.
// scripts/run-tests.mjs sets MCP_TEST_RUN_ID and removes the cache at the end; without it (a test file
// run on its own) each process synthesizes for itself. Not a test file itself.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { App } from 'aws-cdk-lib';
import { buildPipelineApp, buildServiceApp } from '../../lib/apps.js';
import { exampleConfig, newApp } from './support.js';

/** One stack of a synthesized app. */
export interface SynthesizedStack {
  /** Construct path of the stack (`staging/Data`, `Pipeline/Staging/Data`, `Pipeline`). */
  readonly path: string;
  /** CloudFormation stack name. */
  readonly stackName: string;
  /** Absolute path of the template file. */
  readonly templateFile: string;
  /** Target account and region. */
  readonly account: string;
  readonly region: string;
}

/** A synthesized app: where it is, what synth threw (if anything), and its stacks. */
export interface SynthesizedApp {
  readonly outdir: string;
  /** The message of the error synth threw (an unacknowledged compliance finding, for example). */
  readonly error?: string;
  /** Every stack, nested assemblies included. */
  readonly stacks: readonly SynthesizedStack[];
  /** Parses a stack's template. */
  template(stack: SynthesizedStack): TemplateJson;
  /** The validation report (cdk-nag, Guard). */
  readonly report: ValidationReport;
}

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; Metadata?: unknown; [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

export interface ValidationReport {
  readonly pluginReports: ReadonlyArray<{
    readonly pluginName: string;
    readonly violations: ReadonlyArray<{
      readonly ruleName: string;
      readonly severity: string;
      readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string }>;
    }>;
  }>;
}

/** The service app of the example configuration (`bin/app.ts`). */
export function serviceApp(): SynthesizedApp {
  return synthesizedOnce('service', (app) => {
    buildServiceApp(app, exampleConfig());
  });
}

/** The pipeline app of the example configuration (`bin/pipeline.ts`). */
export function pipelineApp(): SynthesizedApp {
  return synthesizedOnce('pipeline', (app) => {
    buildPipelineApp(app, exampleConfig());
  });
}

function synthesizedOnce(kind: string, build: (app: App) => void): SynthesizedApp {
  const runId = process.env.MCP_TEST_RUN_ID;
  const base = runId ? join(tmpdir(), `mcp-kit-synth-${runId.replace(/[^A-Za-z0-9-]/g, '')}`) : undefined;
  const final = base ? join(base, kind) : undefined;
  if (final && existsSync(join(final, 'result.json'))) return open(final);

  const outdir = base ? `${final}.${process.pid}` : join(tmpdir(), `mcp-kit-synth-${kind}-${process.pid}-${Date.now()}`);
  mkdirSync(outdir, { recursive: true });
  const app = newApp({ outdir });
  let error: string | undefined;
  try {
    build(app);
    app.synth();
  } catch (thrown) {
    error = thrown instanceof Error ? thrown.message : String(thrown);
  }
  writeFileSync(join(outdir, 'result.json'), JSON.stringify({ error }));
  if (!final) return open(outdir);
  try {
    renameSync(outdir, final);
  } catch {
    // Another test process finished first: use its copy.
    rmSync(outdir, { recursive: true, force: true });
  }
  return open(final);
}

function open(outdir: string): SynthesizedApp {
  const { error } = JSON.parse(readFileSync(join(outdir, 'result.json'), 'utf8')) as { error?: string };
  const stacks: SynthesizedStack[] = [];
  const walk = (dir: string) => {
    const manifestFile = join(dir, 'manifest.json');
    if (!existsSync(manifestFile)) return;
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as {
      artifacts: Record<string, { type: string; environment?: string; displayName?: string; properties?: Record<string, string> }>;
    };
    for (const [id, artifact] of Object.entries(manifest.artifacts)) {
      if (artifact.type === 'cdk:cloud-assembly') walk(join(dir, artifact.properties!.directoryName!));
      if (artifact.type !== 'aws:cloudformation:stack') continue;
      const [, account = '', region = ''] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment ?? '') ?? [];
      stacks.push({
        path: (artifact.displayName ?? id).replace(/ \(.*\)$/, ''),
        stackName: artifact.properties?.stackName ?? id,
        templateFile: resolve(dir, artifact.properties!.templateFile!),
        account,
        region,
      });
    }
  };
  walk(outdir);
  const reportFile = join(outdir, 'validation-report.json');
  const report = existsSync(reportFile)
    ? (JSON.parse(readFileSync(reportFile, 'utf8')) as ValidationReport)
    : { pluginReports: [] };
  return {
    outdir,
    error,
    stacks,
    report,
    template: (stack) => JSON.parse(readFileSync(stack.templateFile, 'utf8')) as TemplateJson,
  };
}
