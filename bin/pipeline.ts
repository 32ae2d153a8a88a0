#!/usr/bin/env node
// The delivery pipeline app (toolchain account). Pick the configuration with
// `-c config=path/to/config.json` (default: config/example.json); it needs a `pipeline` section.
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance.js';
import { loadDeploymentConfig } from '../lib/config.js';
import { DeliveryPipelineStack, deliveryPipelineStackProps } from '../pipeline/delivery-pipeline-stack.js';

const app = new App();
const config = loadDeploymentConfig(String(app.node.tryGetContext('config') ?? 'config/example.json'));
addComplianceChecks(app);

new DeliveryPipelineStack(app, 'Pipeline', deliveryPipelineStackProps(config));

app.synth();
