import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TOOLS } from '../tools/catalog/index.js';
import { quickstartCommands, toolAccessLines } from './banner.js';

describe('dev banner', () => {
  test('the tool table follows the catalog access rules', () => {
    assert.deepEqual(toolAccessLines(DEFAULT_TOOLS), [
      'whoami, notes_list, notes_add, notes_remove, notes_clear  every user',
      'search_documents                                          --groups staff or operators',
      'generate_report                                           --groups analysts or operators',
    ]);
    const custom = [
      { name: 'audit_log', access: { scopes: ['mcp:audit.read'], anyGroup: ['auditors'] } },
      { name: 'ping', access: { scopes: ['mcp:identity.read'] } },
    ];
    assert.deepEqual(toolAccessLines(custom), ['audit_log  --groups auditors', 'ping       every user']);
  });

  test('the quickstart names the port only where it is not the default', () => {
    assert.match(quickstartCommands(3000)[0]!, /--groups staff\)$/);
    assert.match(quickstartCommands(3100)[0]!, /--groups staff --port 3100\)$/);
    assert.ok(quickstartCommands(3100).includes('MCP=http://127.0.0.1:3100/mcp'));
  });
});
