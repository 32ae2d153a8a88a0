import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createMcpHandler, legacyStatelessFallback } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { defineTool, type ToolDefinition } from '../tools/definition.js';
import { createToolDispatch, toAuthInfo, type RequestScope } from '../tools/mcp-server.js';
import { ToolCatalog } from '../tools/registry.js';
import { legacyDirectCall, legacyReply, modernDirectCall, modernReply, type DirectToolCall } from './direct-call.js';
import { plainInvokeDependencies, requestOf, routeOf, testScope } from './direct-test-support.js';

// The direct path must answer every request it takes exactly as the SDK would (same status, same
// content type, same JSON-RPC message), and must leave every other request to the SDK.

const echo = defineTool({
  name: 'echo_text',
  title: 'Echo',
  description: 'Returns the text it is given.',
  input: z.strictObject({ text: z.string().max(200) }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async ({ text }) => ({ content: [{ type: 'text', text }] }),
});

const structured = defineTool({
  name: 'describe_me',
  title: 'Describe me',
  description: 'Returns structured content.',
  input: z.strictObject({}),
  output: z.strictObject({ subject: z.string(), groups: z.array(z.string()), nested: z.strictObject({ n: z.number() }) }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async (_args, { principal }) => {
    const value = { subject: principal.subject, groups: [...principal.groups], nested: { n: 1.5 } };
    return { content: [{ type: 'text', text: JSON.stringify(value) }, { type: 'text', text: 'ünïcødé ✓ "quoted" \n line' }], structuredContent: value };
  },
});

const hidden = defineTool({ ...echo, name: 'admins_only', access: { scopes: ['mcp:test.run'], anyGroup: ['admins'] } });

const principal: Principal = { issuer: 'https://issuer.test', subject: 'alice', clientId: 'client', scopes: ['mcp:test.run'], groups: ['staff'], expiresAt: 4_102_444_800 };

const deps = plainInvokeDependencies();

const dispatch = createToolDispatch({ name: 'kit-test', version: '9.9.9', catalog: new ToolCatalog([echo, structured, hidden] as ToolDefinition[]), invoke: deps });

function scope(): RequestScope {
  return testScope(principal);
}

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test-client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

function modernBody(name: string, args: unknown, id: string | number = 7, meta: Record<string, unknown> = ENVELOPE): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, ...(args === undefined ? {} : { arguments: args }), _meta: meta } };
}

function modernHeaders(name: string): Record<string, string> {
  return {
    accept: 'application/json, text/event-stream',
    'content-type': 'application/json',
    'mcp-protocol-version': '2026-07-28',
    'mcp-method': 'tools/call',
    'mcp-name': name,
  };
}

function legacyBody(name: string, args: unknown, id: string | number = 3): Record<string, unknown> {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, ...(args === undefined ? {} : { arguments: args }) } };
}

const LEGACY_HEADERS = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' };

/** The JSON-RPC message of an SSE body (the transport sends one `message` event per response). */
function sseMessage(text: string): unknown {
  const data = text.split('\n').filter((line) => line.startsWith('data: '));
  assert.equal(data.length, 1, 'one data line');
  return JSON.parse(data[0]!.slice('data: '.length));
}

async function direct(call: DirectToolCall, era: 'modern' | 'legacy') {
  const pending = dispatch.callTool(scope(), call.name, call.args, new AbortController().signal);
  assert.ok(pending, 'the tool is callable');
  const result = await pending;
  return era === 'modern' ? modernReply(call, result, dispatch.serverInfo) : legacyReply(call, result);
}

const CASES: Array<{ label: string; name: string; args: unknown; id?: string | number }> = [
  { label: 'a text result', name: 'echo_text', args: { text: 'hello' } },
  { label: 'a string id', name: 'echo_text', args: { text: 'hello' }, id: 'req-1' },
  { label: 'id 0', name: 'echo_text', args: { text: 'zero' }, id: 0 },
  { label: 'structured content, several blocks, unicode', name: 'describe_me', args: {} },
  { label: 'no arguments at all', name: 'describe_me', args: undefined },
  { label: 'invalid arguments (an error result)', name: 'echo_text', args: { text: 5 } },
  { label: 'an unknown argument (an error result)', name: 'echo_text', args: { text: 'x', extra: true } },
  { label: 'a credential-shaped argument (an error result)', name: 'echo_text', args: { text: 'AKIAIOSFODNN7EXAMPLE' } },
];

describe('the direct tools/call path answers exactly as the SDK does', () => {
  const modern = createMcpHandler(dispatch.factory, { legacy: 'reject' });
  const legacy = legacyStatelessFallback(dispatch.factory);

  for (const { label, name, args, id } of CASES) {
    test(`modern era: ${label}`, async () => {
      const body = modernBody(name, args, id);
      const headers = modernHeaders(name);
      const call = modernDirectCall(routeOf(body, headers), body, headers);
      assert.ok(call, 'the direct path takes the request');
      const mine = await direct(call, 'modern');
      const sdk = await modern.fetch(requestOf(headers), { authInfo: toAuthInfo(scope()), parsedBody: body });
      assert.equal(mine.status, sdk.status);
      assert.equal(mine.headers['content-type'], sdk.headers.get('content-type'));
      assert.deepEqual(JSON.parse(mine.body), await sdk.json());
    });

    test(`legacy era: ${label}`, async () => {
      const body = legacyBody(name, args, id);
      const call = legacyDirectCall(body, LEGACY_HEADERS);
      assert.ok(call, 'the direct path takes the request');
      assert.equal(routeOf(body, LEGACY_HEADERS).kind, 'legacy', "the SDK's classifier routes it to the legacy era too");
      assert.equal(routeOf(body, { ...LEGACY_HEADERS, 'mcp-protocol-version': undefined }).kind, 'legacy');
      const mine = await direct(call, 'legacy');
      const sdk = await legacy(requestOf(LEGACY_HEADERS), { authInfo: toAuthInfo(scope()), parsedBody: body });
      assert.equal(mine.status, sdk.status);
      for (const header of ['content-type', 'cache-control', 'x-accel-buffering']) assert.equal(mine.headers[header], sdk.headers.get(header), header);
      assert.deepEqual(sseMessage(mine.body), sseMessage(await sdk.text()));
    });
  }

  test('an unknown or hidden tool is left to the SDK, which answers both alike', async () => {
    for (const name of ['no_such_tool', 'admins_only']) {
      assert.equal(dispatch.callTool(scope(), name, {}, new AbortController().signal), undefined);
      const body = modernBody(name, {});
      const answer = (await (await modern.fetch(requestOf(modernHeaders(name)), { authInfo: toAuthInfo(scope()), parsedBody: body })).json()) as { error?: { code: number; message: string } };
      assert.equal(answer.error?.code, -32602);
      assert.equal(answer.error?.message, `Unknown tool: ${name}`);
    }
  });
});

describe('the direct path leaves every other request to the SDK', () => {
  const name = 'echo_text';
  const args = { text: 'hello' };
  const modernCases: Array<[string, unknown, Record<string, string>]> = [
    ['an extra top-level key', { ...modernBody(name, args), extra: 1 }, modernHeaders(name)],
    ['a missing jsonrpc version', (({ jsonrpc: _jsonrpc, ...rest }) => rest)(modernBody(name, args)), modernHeaders(name)],
    ['a fractional id', modernBody(name, args, 1.5), modernHeaders(name)],
    ['a null id', { ...modernBody(name, args), id: null }, modernHeaders(name)],
    ['another method', { ...modernBody(name, args), method: 'tools/list' }, { ...modernHeaders(name), 'mcp-method': 'tools/list' }],
    ['arguments that are an array', modernBody(name, ['hello']), modernHeaders(name)],
    ['a progress token', modernBody(name, args, 7, { ...ENVELOPE, progressToken: 'p1' }), modernHeaders(name)],
    ['a log level opt-in', modernBody(name, args, 7, { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'debug' }), modernHeaders(name)],
    ['an envelope without client info', modernBody(name, args, 7, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} }), modernHeaders(name)],
    ['an invalid envelope', modernBody(name, args, 7, { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': 'all' }), modernHeaders(name)],
    ['params with a task', { ...modernBody(name, args), params: { ...(modernBody(name, args).params as object), task: { ttl: 1000 } } }, modernHeaders(name)],
    ['an Mcp-Name that differs', modernBody(name, args), { ...modernHeaders(name), 'mcp-name': 'other' }],
    ['an Mcp-Name with padding', modernBody(name, args), { ...modernHeaders(name), 'mcp-name': ` ${name}` }],
    ['no Mcp-Method header', modernBody(name, args), (({ 'mcp-method': _method, ...rest }) => rest)(modernHeaders(name))],
    ['no protocol version header', modernBody(name, args), (({ 'mcp-protocol-version': _version, ...rest }) => rest)(modernHeaders(name))],
    ['a text/plain content type', modernBody(name, args), { ...modernHeaders(name), 'content-type': 'text/plain' }],
    ['a batch', [modernBody(name, args)], modernHeaders(name)],
  ];
  for (const [label, body, headers] of modernCases) {
    test(`modern era: ${label}`, () => {
      assert.equal(modernDirectCall(routeOf(body, headers), body, headers), undefined);
    });
  }

  const legacyCases: Array<[string, unknown, Record<string, string>]> = [
    ['any _meta', { ...legacyBody(name, args), params: { name, arguments: args, _meta: {} } }, LEGACY_HEADERS],
    ['a progress token', { ...legacyBody(name, args), params: { name, arguments: args, _meta: { progressToken: 1 } } }, LEGACY_HEADERS],
    ['an Accept without text/event-stream', legacyBody(name, args), { ...LEGACY_HEADERS, accept: 'application/json' }],
    ['no Accept header', legacyBody(name, args), (({ accept: _accept, ...rest }) => rest)(LEGACY_HEADERS)],
    ['a notification', { jsonrpc: '2.0', method: 'tools/call', params: { name } }, LEGACY_HEADERS],
    ['a name that is not a string', legacyBody(7 as unknown as string, args), LEGACY_HEADERS],
    ['the modern protocol version header (the SDK rejects this)', legacyBody(name, args), { ...LEGACY_HEADERS, 'mcp-protocol-version': '2026-07-28' }],
    ['an unknown protocol version header', legacyBody(name, args), { ...LEGACY_HEADERS, 'mcp-protocol-version': '2099-01-01' }],
    ['an inherited property posing as params', Object.assign(Object.create({ params: { name } }) as object, { jsonrpc: '2.0', id: 1, method: 'tools/call' }), LEGACY_HEADERS],
  ];
  for (const [label, body, headers] of legacyCases) {
    test(`legacy era: ${label}`, () => {
      assert.equal(legacyDirectCall(body, headers), undefined);
    });
  }
});
