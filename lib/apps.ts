import type { App } from 'aws-cdk-lib';
import { addComplianceChecks } from './compliance.js';
import type { DeploymentConfig } from './config.js';
import { EnvironmentStage, smokeTestSettings } from './environment-stage.js';
import { DeliveryPipelineStack, deliveryPipelineStackProps } from '../pipeline/delivery-pipeline-stack.js';

/**
 * The service app (`bin/app.ts`): the compliance checks and one stage per environment, given the same
 * inputs the pipeline gives its stages, so that `cdk deploy` and the pipeline write the same templates.
 *
 * @returns the stages, by environment name
 */
export function buildServiceApp(app: App, config: DeploymentConfig): Readonly<Record<string, EnvironmentStage>> {
  addComplianceChecks(app);
  const stages: Record<string, EnvironmentStage> = {};
  for (const environment of config.environments) {
    stages[environment.name] = new EnvironmentStage(app, environment.name, {
      appName: config.appName,
      environment,
      runtimeBaseImage: config.runtimeBaseImage,
      smokeTest: smokeTestSettings(config, environment),
    });
  }
  return stages;
}

/**
 * The pipeline app (`bin/pipeline.ts`): the compliance checks and the delivery pipeline stack.
 *
 * @throws Error when the configuration has no `pipeline` section
 */
export function buildPipelineApp(app: App, config: DeploymentConfig): DeliveryPipelineStack {
  addComplianceChecks(app);
  return new DeliveryPipelineStack(app, 'Pipeline', deliveryPipelineStackProps(config));
}
