import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { startKit, type Kit } from './harness.js';

const regional = defineTool({
  name: 'regional_echo',
  title: 'Regional echo',
  description: 'Answers with the region it was given, which clients mirror into Mcp-Param-Region.',
  input: z.strictObject({ region: z.string().max(64).describe('A region.').meta({ 'x-mcp-header': 'Region' }) }),
  access: { scopes: ['mcp:identity.read'] },
  deadlineMs: 5_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ region }) => ({ content: [{ type: 'text', text: `region ${region}` }] }),
});

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('mirrored parameter headers (2026-07-28, SEP-2243)', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ tools: [...DEFAULT_TOOLS, regional] as ToolDefinition[] });
  });
  after(async () => {
    await kit.close();
  });

  test('the v2 client mirrors the parameter and the call is served', async () => {
    const token = await kit.token({ sub: 'headers-v2' });
    const client = new Client({ name: 'headers-v2', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    await client.connect(new StreamableHTTPClientTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      const { tools } = await client.listTools();
      const listed = tools.find((tool) => tool.name === 'regional_echo');
      assert.equal((listed?.inputSchema.properties?.region as Record<string, unknown>)['x-mcp-header'], 'Region');
      const result = await client.callTool({ name: 'regional_echo', arguments: { region: 'eu-west-1' } });
      assert.deepEqual(result.content, [{ type: 'text', text: 'region eu-west-1' }]);
    } finally {
      await client.close();
    }
  });

  test('a header that disagrees with the arguments is refused with 400 and -32020, without echo, and the tool does not run', async () => {
    const token = await kit.token({ sub: 'headers-raw' });
    const hostile = 'eu-<script>x</script>';
    const cases: Array<Record<string, string>> = [{}, { 'mcp-param-region': hostile }, { 'mcp-param-region': '=?base64?ZXUtd2VzdC0x?=' }];
    for (const extra of cases) {
      const response = await fetch(kit.url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': 'regional_echo',
          ...extra,
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'regional_echo', arguments: { region: 'us-east-1' }, _meta: ENVELOPE } }),
      });
      const text = await response.text();
      assert.equal(response.status, 400, text);
      const body = JSON.parse(text) as { id: unknown; error: { code: number; message: string } };
      assert.equal(body.id, 7);
      assert.equal(body.error.code, -32020);
      assert.match(body.error.message, /Mcp-Param-Region/);
      assert.ok(!text.includes('script') && !text.includes('us-east-1') && !text.includes('eu-west-1'), 'a value was echoed');
    }
  });
});
