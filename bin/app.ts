#!/usr/bin/env node
// The service app: one stage per environment of the deployment configuration.
// Pick the file with `-c config=path/to/config.json` (default: config/example.json).
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance.js';
import { loadDeploymentConfig } from '../lib/config.js';
import { EnvironmentStage } from '../lib/environment-stage.js';

const app = new App();
const config = loadDeploymentConfig(String(app.node.tryGetContext('config') ?? 'config/example.json'));
addComplianceChecks(app);

for (const environment of config.environments) {
  new EnvironmentStage(app, environment.name, { appName: config.appName, environment });
}

app.synth();
