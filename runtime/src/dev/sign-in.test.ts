import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { clientSetupLines, TESTED_CLIENTS } from './sign-in.js';

describe('dev banner: stock client setup', () => {
  const resource = 'http://127.0.0.1:3100/mcp';
  const lines = clientSetupLines(resource);

  test('every client line names the server URL, and every JSON snippet is valid JSON for that client', () => {
    const json = lines.flatMap((line) => (/(\{.*\})\s*$/.exec(line)?.[1] ? [JSON.parse(/(\{.*\})\s*$/.exec(line)![1]!) as Record<string, Record<string, Record<string, unknown>>>] : []));
    assert.equal(json.length, 3, 'VS Code, Cursor and the stdio clients');
    assert.deepEqual(json[0]!.servers!['enterprise-mcp-dev'], { type: 'http', url: resource });
    assert.deepEqual(json[1]!.mcpServers!['enterprise-mcp-dev'], { url: resource });
    assert.deepEqual(json[2]!.mcpServers!['enterprise-mcp-dev'], { command: 'npx', args: ['-y', `mcp-remote@${TESTED_CLIENTS.mcpRemote}`, resource] });
    assert.ok(lines.some((line) => line.includes(`claude mcp add --transport http enterprise-mcp-dev ${resource}`)));
    assert.ok(lines.some((line) => line.includes(`inspector@${TESTED_CLIENTS.inspector} --cli ${resource} --transport http`)));
    assert.ok(lines.includes('Review or revoke the applications you allowed: http://127.0.0.1:3100/oauth/consents'));
  });

  test('the versions named are the ones the sign-in tests install', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { devDependencies: Record<string, string> };
    assert.equal(manifest.devDependencies['@modelcontextprotocol/inspector'], TESTED_CLIENTS.inspector);
    assert.equal(manifest.devDependencies['mcp-remote'], TESTED_CLIENTS.mcpRemote);
  });
});
