#!/usr/bin/env node
// The service app: one stage per environment of the deployment configuration.
// Pick the file with `-c config=path/to/config.json` (default: config/example.json).
import { App } from 'aws-cdk-lib';
import { buildServiceApp } from '../lib/apps.js';
import { loadDeploymentConfig } from '../lib/config.js';

const app = new App();
buildServiceApp(app, loadDeploymentConfig(String(app.node.tryGetContext('config') ?? 'config/example.json')));
app.synth();
