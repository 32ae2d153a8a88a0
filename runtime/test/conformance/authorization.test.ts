import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { freePort } from '../../src/dev/environment.js';
import { launchBrowser, signInInBrowser } from '../browser.js';
import { startKit, type Kit } from '../harness.js';

// The official suite from node_modules (pinned in runtime/package.json), never fetched at run time.
const require = createRequire(import.meta.url);
const SUITE_PACKAGE = require.resolve('@modelcontextprotocol/conformance/package.json');
const SUITE_BIN = join(dirname(SUITE_PACKAGE), (JSON.parse(readFileSync(SUITE_PACKAGE, 'utf8')) as { bin: { conformance: string } }).bin.conformance);
const ANSI = /\u001b\[[0-9;]*m/g;

describe('conformance suite: authorization command against the broker', () => {
  let kit: Kit;
  let browser: Browser;
  before(async () => {
    kit = await startKit({ broker: true });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await kit?.close();
  });

  test('authorization-server-metadata-endpoint and authorization-code-grant pass (sign-in done in chromium)', async () => {
    const issuer = new URL(kit.url).origin;
    const port = await freePort();
    // The suite needs a registered client whose redirect is its own callback listener.
    const registration = await fetch(`${issuer}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'MCP conformance suite', redirect_uris: [`http://127.0.0.1:${port}/callback`], token_endpoint_auth_method: 'none' }),
    });
    assert.equal(registration.status, 201);
    const { client_id: clientId } = (await registration.json()) as { client_id: string };

    const child = spawn(process.execPath, [SUITE_BIN, 'authorization', '--url', issuer, '--client-id', clientId, '--resource', kit.resource, '--port', String(port)], {
      env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let browsing: Promise<unknown> | undefined;
    const context = await browser.newContext();
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = output.replace(ANSI, '').split('\n').find((line) => line.startsWith(`${issuer}/oauth/authorize?`));
      if (url && !browsing) {
        // The suite waits for its callback; the user signs in in the browser meanwhile.
        browsing = context.newPage().then((page) => signInInBrowser(page, url.trim(), { name: 'erin', groups: 'staff' }, new Promise<URL>(() => undefined)).catch(() => undefined));
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    clearTimeout(timer);
    await context.close();
    const text = output.replace(ANSI, '');
    assert.ok(browsing, `the suite printed an authorization URL:\n${text}`);
    assert.match(text, /✓ authorization-server-metadata-endpoint: \d+ passed, 0 failed/, text);
    assert.match(text, /✓ authorization-code-grant: \d+ passed, 0 failed/, text);
    assert.match(text, /Total: [1-9]\d* passed, 0 failed/, text);
    assert.equal(code, 0, text);
  });
});
