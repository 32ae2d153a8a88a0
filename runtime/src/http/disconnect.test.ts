import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from '../../test/harness.js';

// A client that leaves in the middle of a tools/call: the tool's signal aborts, nothing is written,
// the access log says 499. Both eras take the direct path for these calls.

let started: () => void = () => undefined;
let aborted: () => void = () => undefined;

const waiter = defineTool({
  name: 'wait_for_abort',
  title: 'Waits',
  description: 'Waits until its call is cancelled or one second has passed.',
  input: z.strictObject({}),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 5000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async (_args, { signal }) => {
    started();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        aborted();
        resolve();
      });
    });
    return { content: [{ type: 'text', text: 'done' }] };
  },
});

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

describe('a client that leaves during a tools/call', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ tools: [...DEFAULT_TOOLS, waiter] as ToolDefinition[] });
  });
  after(async () => {
    await kit.close();
  });

  async function leaveDuringCall(headers: Record<string, string>, body: unknown): Promise<Record<string, unknown>> {
    const running = new Promise<void>((resolve) => (started = resolve));
    const cancelled = new Promise<void>((resolve) => (aborted = resolve));
    const client = new AbortController();
    const request = fetch(kit.url, { method: 'POST', headers, body: JSON.stringify(body), signal: client.signal }).catch((error: unknown) => error);
    await running;
    client.abort();
    await cancelled;
    assert.ok((await request) instanceof Error, 'the client got no answer');
    for (let i = 0; i < 50; i += 1) {
      const line = kit.logs.map((text) => JSON.parse(text) as Record<string, unknown>).find((record) => record.tool === 'wait_for_abort' && record.status !== undefined);
      if (line) {
        kit.logs.length = 0;
        return line;
      }
      await sleep(20);
    }
    throw new Error('no access line for the call');
  }

  test('modern era: the tool is cancelled and the access log records 499', async () => {
    const token = await kit.token({ scopes: ['mcp:test.run'] });
    const line = await leaveDuringCall(
      {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': 'wait_for_abort',
      },
      { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'wait_for_abort', arguments: {}, _meta: ENVELOPE } },
    );
    assert.equal(line.status, 499);
    assert.equal(line.protocolEra, 'modern');
  });

  test('legacy era: the tool is cancelled and the access log records 499', async () => {
    const token = await kit.token({ scopes: ['mcp:test.run'] });
    const opened = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
    const session = opened.headers.get('mcp-session-id') ?? '';
    assert.ok(session);
    const line = await leaveDuringCall(
      {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        'mcp-session-id': session,
      },
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'wait_for_abort', arguments: {} } },
    );
    assert.equal(line.status, 499);
    assert.equal(line.protocolEra, 'legacy');
  });
});
