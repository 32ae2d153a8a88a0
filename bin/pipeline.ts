#!/usr/bin/env node
// The delivery pipeline app (toolchain account). Pick the configuration with
// `-c config=path/to/config.json` (default: config/example.json); it needs a `pipeline` section.
import { App } from 'aws-cdk-lib';
import { buildPipelineApp } from '../lib/apps.js';
import { loadDeploymentConfig } from '../lib/config.js';

const app = new App();
buildPipelineApp(app, loadDeploymentConfig(String(app.node.tryGetContext('config') ?? 'config/example.json')));
app.synth();
