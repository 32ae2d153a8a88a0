// Shared fixtures of the infrastructure tests (not a test file itself).
import { readFileSync } from 'node:fs';
import { App, type AppProps } from 'aws-cdk-lib';
import { type DeploymentConfig, type EnvironmentConfig, loadDeploymentConfig, parseDeploymentConfig } from '../../lib/config.js';

/** The example deployment configuration, validated. A fresh copy on every call. */
export function exampleConfig(): DeploymentConfig {
  return loadDeploymentConfig('config/example.json');
}

/** The example configuration's raw JSON, for tests that break one value. */
export function exampleConfigJson(): Record<string, unknown> {
  return JSON.parse(readFileSync('config/example.json', 'utf8')) as Record<string, unknown>;
}

/** An environment of the example configuration, optionally changed (the result is validated again). */
export function exampleEnvironment(name = 'staging', change: (env: Record<string, unknown>) => void = () => {}): EnvironmentConfig {
  const json = exampleConfigJson();
  const environments = json.environments as Array<Record<string, unknown>>;
  const env = environments.find((e) => e.name === name);
  if (!env) throw new Error(`no environment "${name}" in config/example.json`);
  change(env);
  // An environment on its own: the pipeline section's cross-checks do not apply to it.
  delete json.pipeline;
  const config = parseDeploymentConfig(json);
  return config.environments.find((e) => e.name === name)!;
}

/** The context of cdk.json: feature flags and the committed availability zones. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> };
  return cdkJson.context;
}

/** An app configured like `cdk synth` configures it from cdk.json. */
export function newApp(props: AppProps = {}): App {
  return new App({ ...props, context: { ...cdkJsonContext(), ...props.context } });
}
