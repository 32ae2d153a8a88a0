import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, test } from 'node:test';
import { createMcpHandler, legacyStatelessFallback, type AuthInfo } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { Principal } from '../auth/principal.js';
import { CapabilityCatalog, DEFAULT_CAPABILITIES } from '../capabilities/index.js';
import { DEFAULT_TOOLS } from '../tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../tools/definition.js';
import { createToolDispatch, scopeOf as scopeOfAuth, toAuthInfo } from '../tools/mcp-server.js';
import { ToolCatalog } from '../tools/registry.js';
import { createDirectAnswers, legacyByShape } from './direct-answers.js';
import { HOSTILE_MUTATIONS, plainInvokeDependencies, requestOf, routeOf, testScope } from './direct-test-support.js';
import { PendingInputs } from './legacy-input.js';
import { serveLegacyRequest, type LegacySession } from './legacy-serve.js';
import type { DirectReply } from './reply.js';

// Every request the direct answers take must get exactly the bytes the SDK sends (status, content
// type and the whole body, key order included); every request they do not reproduce exactly must
// be left to the SDK. The same inputs go to both, hostile shapes included.

const adminTool = defineTool({
  name: 'admin_report',
  title: 'Admin report',
  description: 'Only for admins.',
  input: z.strictObject({ text: z.string().max(200) }),
  access: { scopes: ['mcp:test.run'], anyGroup: ['admins'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async ({ text }) => ({ content: [{ type: 'text', text }] }),
});

const dispatch = createToolDispatch({
  name: 'kit-test',
  version: '9.9.9-ünï',
  catalog: new ToolCatalog([...DEFAULT_TOOLS, adminTool] as ToolDefinition[]),
  capabilities: new CapabilityCatalog(DEFAULT_CAPABILITIES),
  invoke: plainInvokeDependencies(),
});
const answers = createDirectAnswers(dispatch);
const modern = createMcpHandler(dispatch.factory, { legacy: 'reject' });
const stateless = legacyStatelessFallback(dispatch.factory);
const serving = { factory: dispatch.factory, pending: new PendingInputs({ perSession: 2, perPrincipal: 3, deadlineMs: 60_000, pollMs: 100 }, undefined), screenSampling: async (params: unknown) => params, maxRequestBodySize: 1_000_000 };

/**
 * The 2025-era answers the direct path must equal: the SDK's stateless fallback, and the kit's own
 * legacy serving (a fresh server re-initialized from the session), which is what the endpoint calls.
 * Both must give the same bytes; the first of them is returned for the comparison.
 */
async function legacy(request: Request, options: { authInfo: AuthInfo; parsedBody: unknown }): Promise<Response> {
  const sdk = await stateless(request.clone(), options);
  const principal = scopeOfAuth(options.authInfo).principal;
  const session: LegacySession | undefined =
    (options.parsedBody as { method?: unknown }).method === 'initialize'
      ? undefined
      : { id: 'session-1', caller: principal, protocolVersion: '2025-11-25', clientCapabilities: {}, clientInfo: { name: 'c', version: '1' }, notAfter: Date.now() + 60_000 };
  const kit = await serveLegacyRequest(serving, request, { ...options, ...(session ? { session } : {}) });
  const [a, b] = [await sdk.text(), await kit.text()];
  assert.equal(b, a, "the kit's legacy serving and the SDK's fallback agree");
  return new Response(a, { status: sdk.status, headers: sdk.headers });
}

const allScopes = [...new Set([...DEFAULT_TOOLS.flatMap((tool) => tool.access.scopes), 'mcp:test.run'])];
const PRINCIPALS: Record<string, Principal> = {
  'every scope': { issuer: 'https://issuer.test', subject: 'alice', clientId: 'client', scopes: allScopes, groups: ['staff'], expiresAt: 4_102_444_800 },
  'an admin': { issuer: 'https://issuer.test', subject: 'root', clientId: 'client', scopes: allScopes, groups: ['admins'], expiresAt: 4_102_444_800 },
  'one scope': { issuer: 'https://issuer.test', subject: 'bob', clientId: 'client', scopes: [allScopes[0]!], groups: [], expiresAt: 4_102_444_800 },
  'no tool scope': { issuer: 'https://issuer.test', subject: 'eve', clientId: 'client', scopes: ['mcp:unrelated'], groups: [], expiresAt: 4_102_444_800 },
};
const alice = PRINCIPALS['every scope']!;

const scopeOf = testScope;

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test-client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const LEGACY_HEADERS: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2025-11-25' };
const INITIALIZE_HEADERS: Record<string, string> = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };

function modernHeaders(method: string): Record<string, string> {
  return { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method };
}

function without(headers: Record<string, string>, name: string): Record<string, string> {
  const copy = { ...headers };
  delete copy[name];
  return copy;
}

/** Asserts the direct reply is byte for byte the SDK's answer. */
async function assertSameAsSdk(mine: DirectReply, sdk: Response): Promise<void> {
  assert.equal(mine.status, sdk.status, 'status');
  for (const header of ['content-type', 'cache-control', 'connection', 'x-accel-buffering']) {
    assert.equal(mine.headers[header], sdk.headers.get(header) ?? undefined, header);
  }
  assert.equal(mine.body, await sdk.text(), 'body');
}

const initialize = (params: unknown, id: unknown = 1): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'initialize', params });
const INIT_PARAMS = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'client', version: '1.0.0' } };

describe('direct initialize (2025 era) answers exactly as the SDK does', () => {
  const taken: Array<[string, unknown]> = [
    ['the newest 2025 revision', initialize(INIT_PARAMS)],
    ...['2025-06-18', '2025-03-26', '2024-11-05'].map((version): [string, unknown] => [`revision ${version}`, initialize({ ...INIT_PARAMS, protocolVersion: version })]),
    ['an unknown revision (the newest is offered)', initialize({ ...INIT_PARAMS, protocolVersion: '1999-01-01' })],
    ['the 2026 revision asked for in initialize', initialize({ ...INIT_PARAMS, protocolVersion: '2026-07-28' })],
    ['an empty revision', initialize({ ...INIT_PARAMS, protocolVersion: '' })],
    ['a string id', initialize(INIT_PARAMS, 'init-"quoted"-ü')],
    ['id 0', initialize(INIT_PARAMS, 0)],
    ['a negative id', initialize(INIT_PARAMS, -42)],
    ['the largest safe id', initialize(INIT_PARAMS, Number.MAX_SAFE_INTEGER)],
    ['client capabilities', initialize({ ...INIT_PARAMS, capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: { form: {} }, experimental: { x: { y: 1 } } } })],
    ['a client title and unicode', initialize({ ...INIT_PARAMS, clientInfo: { name: 'klïent ✓', version: '1.0.0-β', title: 'Tïtle "q"' } })],
    ['keys in another order', { params: INIT_PARAMS, id: 9, method: 'initialize', jsonrpc: '2.0' }],
  ];
  for (const [label, body] of taken) {
    test(label, async () => {
      const mine = answers.legacyInitialize(body, INITIALIZE_HEADERS);
      assert.ok(mine, 'the direct path takes the request');
      assert.ok(legacyByShape(body, INITIALIZE_HEADERS));
      assert.equal(routeOf(body, INITIALIZE_HEADERS).kind, 'legacy', "the SDK's classifier routes it to the legacy era too");
      const sdk = await legacy(requestOf(INITIALIZE_HEADERS), { authInfo: toAuthInfo(scopeOf(alice)), parsedBody: body });
      await assertSameAsSdk(mine.reply, sdk);
      const params = (body as { params: { protocolVersion: string; clientInfo: { name: string; version: string } } }).params;
      assert.deepEqual(mine.clientInfo, { name: params.clientInfo.name, version: params.clientInfo.version });
      assert.equal(mine.protocolVersion, (JSON.parse(mine.reply.body.split('data: ')[1]!) as { result: { protocolVersion: string } }).result.protocolVersion);
    });
  }
  test('with a 2025 revision header', async () => {
    const headers = { ...INITIALIZE_HEADERS, 'mcp-protocol-version': '2025-06-18' };
    const mine = answers.legacyInitialize(initialize(INIT_PARAMS), headers);
    assert.ok(mine);
    await assertSameAsSdk(mine.reply, await legacy(requestOf(headers), { authInfo: toAuthInfo(scopeOf(alice)), parsedBody: initialize(INIT_PARAMS) }));
  });
});

describe('direct initialize steps aside for everything it does not reproduce', () => {
  const aside: Array<[string, unknown, Record<string, string>]> = [
    ['capabilities of the wrong shape', initialize({ ...INIT_PARAMS, capabilities: { roots: 5 } }), INITIALIZE_HEADERS],
    ['capabilities that are an array', initialize({ ...INIT_PARAMS, capabilities: [] }), INITIALIZE_HEADERS],
    ['no capabilities', initialize({ protocolVersion: '2025-11-25', clientInfo: { name: 'c', version: '1' } }), INITIALIZE_HEADERS],
    ['a numeric revision', initialize({ ...INIT_PARAMS, protocolVersion: 20251125 }), INITIALIZE_HEADERS],
    ['client info with icons', initialize({ ...INIT_PARAMS, clientInfo: { name: 'c', version: '1', icons: [] } }), INITIALIZE_HEADERS],
    ['client info without a version', initialize({ ...INIT_PARAMS, clientInfo: { name: 'c' } }), INITIALIZE_HEADERS],
    ['a numeric title', initialize({ ...INIT_PARAMS, clientInfo: { name: 'c', version: '1', title: 7 } }), INITIALIZE_HEADERS],
    ['params with _meta', initialize({ ...INIT_PARAMS, _meta: { progressToken: 1 } }), INITIALIZE_HEADERS],
    ['an extra params key', initialize({ ...INIT_PARAMS, extra: true }), INITIALIZE_HEADERS],
    ['a null id', initialize(INIT_PARAMS, null), INITIALIZE_HEADERS],
    ['a fractional id', initialize(INIT_PARAMS, 1.5), INITIALIZE_HEADERS],
    ['an unsafe integer id', initialize(INIT_PARAMS, 2 ** 60), INITIALIZE_HEADERS],
    ['an object id', initialize(INIT_PARAMS, { a: 1 }), INITIALIZE_HEADERS],
    ['no id (a notification)', { jsonrpc: '2.0', method: 'initialize', params: INIT_PARAMS }, INITIALIZE_HEADERS],
    ['JSON-RPC 1.0', { ...initialize(INIT_PARAMS), jsonrpc: '1.0' }, INITIALIZE_HEADERS],
    ['an extra top-level key', { ...initialize(INIT_PARAMS), extra: 1 }, INITIALIZE_HEADERS],
    ['a batch', [initialize(INIT_PARAMS)], INITIALIZE_HEADERS],
    ['inherited params', Object.assign(Object.create({ params: INIT_PARAMS }) as object, { jsonrpc: '2.0', id: 1, method: 'initialize' }), INITIALIZE_HEADERS],
    ['a class instance as client info', initialize({ ...INIT_PARAMS, clientInfo: Object.assign(new (class Info {})(), { name: 'c', version: '1' }) }), INITIALIZE_HEADERS],
    ['an Accept without SSE', initialize(INIT_PARAMS), { ...INITIALIZE_HEADERS, accept: 'application/json' }],
    ['no Accept', initialize(INIT_PARAMS), without(INITIALIZE_HEADERS, 'accept')],
    ['a text/plain content type', initialize(INIT_PARAMS), { ...INITIALIZE_HEADERS, 'content-type': 'text/plain' }],
    ['the 2026 revision header', initialize(INIT_PARAMS), { ...INITIALIZE_HEADERS, 'mcp-protocol-version': '2026-07-28' }],
    ['an unknown revision header', initialize(INIT_PARAMS), { ...INITIALIZE_HEADERS, 'mcp-protocol-version': '2099-01-01' }],
  ];
  for (const [label, body, headers] of aside) {
    test(label, () => {
      assert.equal(answers.legacyInitialize(body, headers), undefined);
    });
  }
  test('repeated Accept headers (joined by the SDK) are left to the SDK', () => {
    const headers: IncomingHttpHeaders = { ...INITIALIZE_HEADERS, accept: ['application/json', 'text/event-stream'] as unknown as string };
    assert.equal(answers.legacyInitialize(initialize(INIT_PARAMS), headers), undefined);
  });
});

const toolsList = (id: unknown = 2, params?: unknown): Record<string, unknown> => ({ jsonrpc: '2.0', id, method: 'tools/list', ...(params === undefined ? {} : { params }) });

describe('direct tools/list (2025 era) answers exactly as the SDK does, per policy outcome', () => {
  for (const [who, principal] of Object.entries(PRINCIPALS)) {
    for (const [label, body] of [
      ['no params', toolsList()],
      ['empty params', toolsList('list-1', {})],
      ['id 0', toolsList(0, {})],
    ] as const) {
      test(`${who}, ${label}`, async () => {
        const mine = answers.legacyRequest(body, LEGACY_HEADERS, principal);
        assert.ok(mine, 'the direct path takes the request');
        assert.ok(legacyByShape(body, LEGACY_HEADERS));
        assert.equal(routeOf(body, LEGACY_HEADERS).kind, 'legacy');
        await assertSameAsSdk(mine, await legacy(requestOf(LEGACY_HEADERS), { authInfo: toAuthInfo(scopeOf(principal)), parsedBody: body }));
      });
    }
  }
  test('the listing follows the policy: an admin sees the admin tool, a principal without scopes sees none', () => {
    const names = (principal: Principal) => (JSON.parse(answers.legacyRequest(toolsList(), LEGACY_HEADERS, principal)!.body.split('data: ')[1]!) as { result: { tools: Array<{ name: string }> } }).result.tools.map((tool) => tool.name);
    assert.ok(names(PRINCIPALS['an admin']!).includes('admin_report'));
    assert.ok(!names(alice).includes('admin_report'));
    assert.deepEqual(names(PRINCIPALS['no tool scope']!), []);
  });
  test('without a revision header', async () => {
    const headers = without(LEGACY_HEADERS, 'mcp-protocol-version');
    const mine = answers.legacyRequest(toolsList(), headers, alice);
    assert.ok(mine);
    await assertSameAsSdk(mine, await legacy(requestOf(headers), { authInfo: toAuthInfo(scopeOf(alice)), parsedBody: toolsList() }));
  });

  const aside: Array<[string, unknown, Record<string, string>]> = [
    ['a cursor', toolsList(2, { cursor: 'abc' }), LEGACY_HEADERS],
    ['params with _meta', toolsList(2, { _meta: { progressToken: 1 } }), LEGACY_HEADERS],
    ['params that are an array', toolsList(2, []), LEGACY_HEADERS],
    ['null params', toolsList(2, null), LEGACY_HEADERS],
    ['another method', { ...toolsList(), method: 'prompts/list' }, LEGACY_HEADERS],
    ['initialize', initialize(INIT_PARAMS), LEGACY_HEADERS],
    ['a null id', toolsList(null), LEGACY_HEADERS],
    ['a notification', { jsonrpc: '2.0', method: 'tools/list' }, LEGACY_HEADERS],
    ['an extra key', { ...toolsList(), extra: 1 }, LEGACY_HEADERS],
    ['a batch', [toolsList()], LEGACY_HEADERS],
    ['an Accept without SSE', toolsList(), { ...LEGACY_HEADERS, accept: 'application/json' }],
    ['a text/plain content type', toolsList(), { ...LEGACY_HEADERS, 'content-type': 'text/plain' }],
    ['the 2026 revision header', toolsList(), { ...LEGACY_HEADERS, 'mcp-protocol-version': '2026-07-28' }],
  ];
  for (const [label, body, headers] of aside) {
    test(`steps aside: ${label}`, () => {
      assert.equal(answers.legacyRequest(body, headers, alice), undefined);
    });
  }
});

const modernRequest = (method: string, meta: unknown = ENVELOPE, id: unknown = 3, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  jsonrpc: '2.0',
  id,
  method,
  params: { _meta: meta, ...extra },
});

describe('direct server/discover and tools/list (2026-07-28) answer exactly as the SDK does', () => {
  for (const method of ['server/discover', 'tools/list']) {
    for (const [who, principal] of Object.entries(PRINCIPALS)) {
      for (const [label, body] of [
        ['a numeric id', modernRequest(method)],
        ['a string id', modernRequest(method, ENVELOPE, 'req-"1"-ü')],
        ['client capabilities in the envelope', modernRequest(method, { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} }, sampling: {} } })],
      ] as const) {
        test(`${method}, ${who}, ${label}`, async () => {
          const headers = modernHeaders(method);
          const mine = answers.modernRequest(routeOf(body, headers), body, headers, principal);
          assert.ok(mine, 'the direct path takes the request');
          await assertSameAsSdk(mine, await modern.fetch(requestOf(headers), { authInfo: toAuthInfo(scopeOf(principal)), parsedBody: body }));
        });
      }
    }
  }

  const cases: Array<[string, unknown, Record<string, string>]> = [];
  for (const method of ['server/discover', 'tools/list']) {
    const headers = modernHeaders(method);
    cases.push(
      [`${method}: a log level opt-in`, modernRequest(method, { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'debug' }), headers],
      [`${method}: a progress token`, modernRequest(method, { ...ENVELOPE, progressToken: 'p' }), headers],
      [`${method}: an envelope without client info`, modernRequest(method, { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} }), headers],
      [`${method}: client capabilities that are not an object`, modernRequest(method, { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': 'all' }), headers],
      [`${method}: client info that is an array`, modernRequest(method, { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': [] }), headers],
      [`${method}: an older revision in the envelope`, modernRequest(method, { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' }), headers],
      [`${method}: a cursor`, modernRequest(method, ENVELOPE, 3, { cursor: 'abc' }), headers],
      [`${method}: an extra params key`, modernRequest(method, ENVELOPE, 3, { extra: 1 }), headers],
      [`${method}: a null id`, modernRequest(method, ENVELOPE, null), headers],
      [`${method}: a fractional id`, modernRequest(method, ENVELOPE, 0.5), headers],
      [`${method}: a notification`, (({ id: _id, ...rest }) => rest)(modernRequest(method)), headers],
      [`${method}: an extra top-level key`, { ...modernRequest(method), extra: 1 }, headers],
      [`${method}: a batch`, [modernRequest(method)], headers],
      [`${method}: an Mcp-Name header`, modernRequest(method), { ...headers, 'mcp-name': 'x' }],
      [`${method}: an Mcp-Method that differs`, modernRequest(method), { ...headers, 'mcp-method': method === 'tools/list' ? 'server/discover' : 'tools/list' }],
      [`${method}: no Mcp-Method`, modernRequest(method), without(headers, 'mcp-method')],
      [`${method}: no revision header`, modernRequest(method), without(headers, 'mcp-protocol-version')],
      [`${method}: a text/plain content type`, modernRequest(method), { ...headers, 'content-type': 'text/plain' }],
    );
  }
  cases.push(['another method', modernRequest('prompts/list'), modernHeaders('prompts/list')], ['tools/call', modernRequest('tools/call'), modernHeaders('tools/call')]);
  for (const [label, body, headers] of cases) {
    test(`steps aside: ${label}`, () => {
      assert.equal(answers.modernRequest(routeOf(body, headers), body, headers, alice), undefined);
    });
  }
});

describe('hostile shapes: whatever the direct answers take, the SDK answers the same way', () => {
  // Mutations of good requests; for each, the direct path either steps aside or matches the SDK byte for byte.
  const mutations = HOSTILE_MUTATIONS;
  const bases: Array<{ era: 'legacy' | 'modern'; body: Record<string, unknown>; headers: Record<string, string> }> = [
    { era: 'legacy', body: initialize(INIT_PARAMS), headers: INITIALIZE_HEADERS },
    { era: 'legacy', body: toolsList(2, {}), headers: LEGACY_HEADERS },
    { era: 'modern', body: modernRequest('server/discover'), headers: modernHeaders('server/discover') },
    { era: 'modern', body: modernRequest('tools/list'), headers: modernHeaders('tools/list') },
  ];
  for (const base of bases) {
    test(`${base.era} ${String(base.body.method)}`, async () => {
      let taken = 0;
      for (const mutate of mutations) {
        const body = mutate(base.body);
        const mine =
          base.era === 'modern'
            ? answers.modernRequest(routeOf(body, base.headers), body, base.headers, alice)
            : base.body.method === 'initialize'
              ? answers.legacyInitialize(body, base.headers)?.reply
              : answers.legacyRequest(body, base.headers, alice);
        if (!mine) continue;
        taken += 1;
        const request = requestOf(base.headers);
        const options = { authInfo: toAuthInfo(scopeOf(alice)), parsedBody: body };
        await assertSameAsSdk(mine, base.era === 'modern' ? await modern.fetch(request, options) : await legacy(request, options));
      }
      assert.ok(taken >= 2, 'the unmutated request and some mutations are taken');
    });
  }
});

describe('legacyByShape: only what the SDK classifier routes to the 2025 era', () => {
  // Every body and header set here goes through the classifier too: whenever legacyByShape says
  // yes, the classifier must say legacy. Hostile and modern shapes included.
  const bodies: unknown[] = [
    initialize(INIT_PARAMS),
    initialize({ ...INIT_PARAMS, protocolVersion: '2026-07-28' }),
    toolsList(),
    toolsList(1, {}),
    toolsList(1, { cursor: 'x' }),
    { jsonrpc: '2.0', id: 'p', method: 'ping' },
    { jsonrpc: '2.0', id: 4, method: 'resources/read', params: { uri: 'docs://x' } },
    { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'x', _meta: ENVELOPE } },
    modernRequest('server/discover'),
    modernRequest('tools/list'),
    modernRequest('tools/list', {}),
    modernRequest('tools/list', { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' }),
    { jsonrpc: '2.0', method: 'notifications/initialized' },
    { jsonrpc: '2.0', id: 1, result: {} },
    { jsonrpc: '2.0', id: 1, error: { code: 1, message: 'x' } },
    { jsonrpc: '2.0', id: 1.5, method: 'tools/list' },
    { jsonrpc: '2.0', id: null, method: 'tools/list' },
    { jsonrpc: '2.0', id: 1, method: 7 },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: [] },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', params: null },
    { jsonrpc: '2.0', id: 1, method: 'tools/list', extra: true },
    [toolsList()],
    'tools/list',
  ];
  const headerSets: Array<Record<string, string>> = [
    LEGACY_HEADERS,
    INITIALIZE_HEADERS,
    modernHeaders('tools/list'),
    { ...LEGACY_HEADERS, 'mcp-protocol-version': '2099-01-01' },
    { ...LEGACY_HEADERS, accept: 'application/json' },
  ];
  test('never says legacy where the classifier does not', () => {
    let yes = 0;
    for (const body of bodies) {
      for (const headers of headerSets) {
        if (!legacyByShape(body, headers)) continue;
        yes += 1;
        assert.equal(routeOf(body, headers).kind, 'legacy', JSON.stringify({ body, headers }));
      }
    }
    assert.ok(yes >= 10, 'plain 2025-era requests are recognised');
  });
  test('steps aside for an envelope claim, a 2026 header, a batch or a malformed message', () => {
    for (const body of [modernRequest('tools/list'), modernRequest('tools/list', {}), [toolsList()], { jsonrpc: '2.0', id: null, method: 'tools/list' }, { jsonrpc: '2.0', id: 1, result: {} }]) {
      assert.equal(legacyByShape(body, LEGACY_HEADERS), false, JSON.stringify(body));
    }
    assert.equal(legacyByShape(toolsList(), modernHeaders('tools/list')), false);
  });
});
