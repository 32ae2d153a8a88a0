import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startKit, type Kit } from './harness.js';

function text(result: { content?: unknown }): string {
  const content = result.content as Array<{ type: string; text?: string }>;
  return content.map((block) => block.text ?? '').join('');
}

describe('official MCP clients against the real server', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit();
  });
  after(async () => {
    await kit.close();
  });

  test('the v2 client speaks 2026-07-28, lists tools and calls whoami', async () => {
    const token = await kit.token({ sub: 'alice', groups: ['staff'] });
    const client = new Client({ name: 'e2e-modern', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
    const transport = new StreamableHTTPClientTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    try {
      assert.equal(client.getNegotiatedProtocolVersion(), '2026-07-28');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('whoami'));
      assert.ok(names.includes('search_documents'), 'staff see the document search');
      assert.ok(!names.includes('generate_report'), 'reports need the analysts or operators group');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      assert.notEqual(result.isError, true);
      const identity = result.structuredContent as { subject: string; clientId: string; scopes: string[]; groups: string[] };
      assert.equal(identity.subject, 'alice');
      assert.equal(identity.clientId, kit.issuer.clientId);
      assert.deepEqual(identity.groups, ['staff']);
      assert.ok(identity.scopes.includes('mcp:identity.read'));
      assert.ok(!text(result).includes(token), 'the token never appears in a result');
    } finally {
      await client.close();
    }
  });

  test('the v1 client speaks 2025-11-25 with a durable session, lists tools and calls whoami', async () => {
    const token = await kit.token({ sub: 'bob', groups: ['analysts'] });
    const client = new LegacyClient({ name: 'e2e-legacy', version: '1.0.0' });
    const transport = new LegacyTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    try {
      assert.match(transport.sessionId ?? '', /^[A-Za-z0-9_-]{45}$/, 'a 256-bit session id (and its owner slot) in visible ASCII');
      const { tools } = await client.listTools();
      const names = tools.map((tool) => tool.name);
      assert.ok(names.includes('generate_report'));
      assert.ok(!names.includes('search_documents'), 'analysts outside staff do not see the document search');
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal((result.structuredContent as { subject: string }).subject, 'bob');
      await transport.terminateSession();
    } finally {
      await client.close();
    }
  });

  test('the v2 client in its default (2025) mode works too', async () => {
    const token = await kit.token({ sub: 'carol' });
    const client = new Client({ name: 'e2e-v2-legacy', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    try {
      const result = await client.callTool({ name: 'whoami', arguments: {} });
      assert.equal((result.structuredContent as { subject: string }).subject, 'carol');
    } finally {
      await client.close();
    }
  });
});
