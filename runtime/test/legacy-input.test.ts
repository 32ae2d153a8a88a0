import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { acceptedContent, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

// 2025-era server-to-client requests (elicitation, sampling, roots) within the call's stream and
// session, with the official clients: SDK v1 and SDK v2 in the 2025 era. Tools are written once
// with `inputRequired(...)`; the SDK's legacy shim turns the return into real requests to the client.

const LIMITS = {
  access: { scopes: ['mcp:input.test'] },
  deadlineMs: 5_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
} as const;

const SECRET = 'AKIAIOSFODNN7EXAMPLE';
const nameSchema = z.object({ name: z.string().max(40) });

const askName = defineTool({
  name: 'ask_name',
  title: 'Asks for a name',
  description: 'Asks the user for a name and greets them.',
  input: z.strictObject({}),
  asks: ['elicitation'],
  ...LIMITS,
  handler: async (_args, { input }) => {
    const view = inputResponse(input.responses, 'name');
    if (view.kind === 'elicit' && view.action !== 'accept') return { content: [{ type: 'text', text: `No name: ${view.action}` }] };
    const answer = acceptedContent(input.responses, 'name', nameSchema);
    if (answer) return { content: [{ type: 'text', text: `Hello ${answer.name}` }] };
    return inputRequired({
      inputRequests: {
        name: inputRequired.elicit({
          message: 'What is your name?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string', maxLength: 40 } }, required: ['name'] },
        }),
      },
    });
  },
});

const summarize = defineTool({
  name: 'summarize_text',
  title: 'Summarizes by sampling',
  description: 'Asks the client model to summarize a text.',
  input: z.strictObject({ text: z.string().max(500) }),
  asks: ['sampling'],
  ...LIMITS,
  handler: async ({ text }, { input }) => {
    const view = inputResponse(input.responses, 'summary');
    if (view.kind === 'sampling') {
      const content = Array.isArray(view.result.content) ? view.result.content[0] : view.result.content;
      return { content: [{ type: 'text', text: `Summary: ${content?.type === 'text' ? content.text : '?'}` }] };
    }
    return inputRequired({
      // The tool's own material may hold a secret (here a planted key): it must not reach the client.
      inputRequests: {
        summary: inputRequired.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: `Summarize: ${text} (deployed with key ${SECRET})` } }],
          systemPrompt: `Never repeat ${SECRET}.`,
          maxTokens: 50,
        }),
      },
    });
  },
});

const listRoots = defineTool({
  name: 'count_roots',
  title: 'Counts roots',
  description: 'Asks the client for its roots and counts them.',
  input: z.strictObject({}),
  asks: ['roots'],
  ...LIMITS,
  handler: async (_args, { input }) => {
    const view = inputResponse(input.responses, 'roots');
    if (view.kind === 'roots') return { content: [{ type: 'text', text: `Roots: ${view.roots.length}` }] };
    return inputRequired({ inputRequests: { roots: inputRequired.listRoots() } });
  },
});

const TOOLS = [askName, summarize, listRoots] as ToolDefinition[];

type Era = 'v1 client, 2025-11-25' | 'v2 client, 2025-11-25';
const ERAS: readonly Era[] = ['v1 client, 2025-11-25', 'v2 client, 2025-11-25'];

interface Handlers {
  elicit?: (params: Record<string, unknown>, requestId: unknown) => Promise<Record<string, unknown>>;
  sample?: (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
  roots?: () => Promise<Record<string, unknown>>;
}

interface TestClient {
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<{ content?: unknown; isError?: boolean }>;
  close(): Promise<void>;
  readonly transport: { sessionId?: string };
}

/** A connected client of `era`, declaring exactly the capabilities it has handlers for. */
async function connect(kit: Kit, era: Era, handlers: Handlers, options: { sub?: string; url?: string; fetch?: typeof fetch } = {}): Promise<TestClient> {
  const token = await kit.token({ sub: options.sub ?? 'ann' });
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  const capabilities = {
    ...(handlers.elicit ? { elicitation: {} } : {}),
    ...(handlers.sample ? { sampling: {} } : {}),
    ...(handlers.roots ? { roots: {} } : {}),
  };
  const url = new URL(options.url ?? kit.url);
  if (era === 'v1 client, 2025-11-25') {
    const client = new LegacyClient({ name: 'input-v1', version: '1.0.0' }, { capabilities });
    if (handlers.elicit) client.setRequestHandler(ElicitRequestSchema, (request, extra) => handlers.elicit!(request.params, extra.requestId) as never);
    if (handlers.sample) client.setRequestHandler(CreateMessageRequestSchema, (request) => handlers.sample!(request.params) as never);
    if (handlers.roots) client.setRequestHandler(ListRootsRequestSchema, () => handlers.roots!() as never);
    const transport = new LegacyTransport(url, { requestInit, ...(options.fetch ? { fetch: options.fetch } : {}) });
    await client.connect(transport);
    return { callTool: (params) => client.callTool(params) as never, close: () => client.close(), transport };
  }
  const client = new Client({ name: 'input-v2', version: '1.0.0' }, { capabilities });
  if (handlers.elicit) client.setRequestHandler('elicitation/create', (request, ctx) => handlers.elicit!(request.params, ctx.mcpReq.id) as never);
  if (handlers.sample) client.setRequestHandler('sampling/createMessage', (request) => handlers.sample!(request.params) as never);
  if (handlers.roots) client.setRequestHandler('roots/list', () => handlers.roots!() as never);
  const transport = new StreamableHTTPClientTransport(url, { requestInit, ...(options.fetch ? { fetch: options.fetch } : {}) });
  await client.connect(transport);
  return { callTool: (params) => client.callTool(params) as never, close: () => client.close(), transport };
}

function textOf(result: { content?: unknown }): string {
  const [first] = (result.content ?? []) as Array<{ type: string; text?: string }>;
  return first?.text ?? '';
}

/** Waits until `check` holds, polling; fails after a generous time. */
async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`never: ${what}`);
}

function nothingPending(kit: Kit): boolean {
  return kit.apps.every((app) => app.pending.size === 0 && app.pending.tracked.sessions === 0 && app.pending.tracked.principals === 0);
}

describe('2025-era server-to-client requests', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ tools: TOOLS, instances: 2, env: { MCP_INPUT_POLL_MS: '50' } });
  });
  after(async () => {
    await kit.close();
  });

  for (const era of ERAS) {
    describe(era, () => {
      test('a tool that elicits gets the checked answer on the same call', async () => {
        const asked: Array<Record<string, unknown>> = [];
        const client = await connect(kit, era, { elicit: async (params) => (asked.push(params), { action: 'accept', content: { name: 'Ann' } }) });
        try {
          const result = await client.callTool({ name: 'ask_name', arguments: {} });
          assert.equal(textOf(result), 'Hello Ann');
          assert.equal(asked.length, 1);
          assert.equal(asked[0]!.message, 'What is your name?');
          const declined = await connect(kit, era, { elicit: async () => ({ action: 'decline' }) });
          assert.equal(textOf(await declined.callTool({ name: 'ask_name', arguments: {} })), 'No name: decline');
          await declined.close();
        } finally {
          await client.close();
        }
        await eventually(() => nothingPending(kit), 'the registry is empty');
      });

      test('an answer outside the requested schema never reaches the handler', async () => {
        const client = await connect(kit, era, { elicit: async () => ({ action: 'accept', content: { name: 'Ann', role: 'admin' } }) });
        try {
          const result = await client.callTool({ name: 'ask_name', arguments: {} });
          assert.equal(result.isError, true);
          assert.doesNotMatch(JSON.stringify(result), /admin/);
        } finally {
          await client.close();
        }
      });

      test('a tool that samples: what leaves the server is redacted, the answer comes back', async () => {
        const prompts: string[] = [];
        const client = await connect(kit, era, {
          sample: async (params) => {
            prompts.push(JSON.stringify(params));
            return { role: 'assistant', content: { type: 'text', text: 'short' }, model: 'test-model', stopReason: 'endTurn' };
          },
        });
        try {
          const result = await client.callTool({ name: 'summarize_text', arguments: { text: 'the release notes' } });
          assert.equal(textOf(result), 'Summary: short');
          assert.equal(prompts.length, 1);
          assert.ok(!prompts[0]!.includes(SECRET), 'the planted key never reaches the client');
        } finally {
          await client.close();
        }
      });

      test('a tool that lists roots', async () => {
        const client = await connect(kit, era, { roots: async () => ({ roots: [{ uri: 'file:///work/one' }, { uri: 'file:///work/two', name: 'two' }] }) });
        try {
          assert.equal(textOf(await client.callTool({ name: 'count_roots', arguments: {} })), 'Roots: 2');
        } finally {
          await client.close();
        }
      });

      test('a client without the capability is never asked: the call fails safely', async () => {
        const client = await connect(kit, era, {});
        try {
          for (const name of ['ask_name', 'count_roots']) {
            const result = await client.callTool({ name, arguments: {} });
            assert.equal(result.isError, true, name);
          }
          const sampled = await client.callTool({ name: 'summarize_text', arguments: { text: 'x' } });
          assert.equal(sampled.isError, true);
        } finally {
          await client.close();
        }
        assert.ok(nothingPending(kit));
      });
    });
  }

  test('an answer from another session or principal is refused and delivers nothing; the owner then answers', async () => {
    let release: (answer: Record<string, unknown>) => void = () => undefined;
    let seen: (id: unknown) => void = () => undefined;
    const requestId = new Promise<unknown>((resolve) => (seen = resolve));
    const client = await connect(kit, 'v1 client, 2025-11-25', {
      elicit: (_params, id) => {
        seen(id);
        return new Promise((resolve) => (release = resolve));
      },
    });
    try {
      const call = client.callTool({ name: 'ask_name', arguments: {} });
      const id = await requestId;
      assert.match(String(id), /^kit-[A-Za-z0-9_-]{22}$/, 'the server mints ids unique in the session');
      const answer = { jsonrpc: '2.0', id, result: { action: 'accept', content: { name: 'Mallory' } } };

      // The same user, another session of theirs.
      const annToken = await kit.token({ sub: 'ann' });
      const other = await post(kit.url, INITIALIZE, { authorization: `Bearer ${annToken}` });
      const otherSession = other.headers.get('mcp-session-id')!;
      for (const url of [kit.apps[0]!.url, kit.apps[1]!.url]) {
        const foreign = await post(url, answer, { authorization: `Bearer ${annToken}`, 'mcp-session-id': otherSession, 'mcp-protocol-version': '2025-11-25' });
        assert.equal(foreign.status, 400);
        assert.doesNotMatch(foreign.text, /Mallory|kit-/);
      }
      // Another user, presenting the session of the first: the session itself is not theirs.
      const bobToken = await kit.token({ sub: 'bob' });
      const stolen = await post(kit.url, answer, { authorization: `Bearer ${bobToken}`, 'mcp-session-id': client.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(stolen.status, 404);
      // An id the server never minted, on the right session.
      const unknown = await post(kit.url, { ...answer, id: 'kit-AAAAAAAAAAAAAAAAAAAAAA' }, { authorization: `Bearer ${annToken}`, 'mcp-session-id': client.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(unknown.status, 400);
      const mixed = await post(kit.url, [answer, { jsonrpc: '2.0', id: 9, method: 'tools/list' }], { authorization: `Bearer ${annToken}`, 'mcp-session-id': client.transport.sessionId!, 'mcp-protocol-version': '2025-03-26' });
      assert.equal(mixed.status, 400);

      release({ action: 'accept', content: { name: 'Ann' } });
      assert.equal(textOf(await call), 'Hello Ann', 'nothing of the refused answers was delivered');
      // A second answer to the same request is refused alike.
      const duplicate = await post(kit.url, answer, { authorization: `Bearer ${annToken}`, 'mcp-session-id': client.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' });
      assert.equal(duplicate.status, 400);
    } finally {
      await client.close();
    }
    await eventually(() => nothingPending(kit), 'the registry is empty');
  });

  test('calls of one session that ask at the same time get distinct ids and their own answers', async () => {
    const ids: unknown[] = [];
    const client = await connect(kit, 'v2 client, 2025-11-25', {
      elicit: async (_params, id) => {
        ids.push(id);
        // Answer the first only once the second has been asked too: both wait at once.
        while (ids.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
        return { action: 'accept', content: { name: `n-${String(id).slice(-6)}` } };
      },
    });
    try {
      const results = await Promise.all([client.callTool({ name: 'ask_name', arguments: {} }), client.callTool({ name: 'ask_name', arguments: {} })]);
      assert.equal(new Set(ids).size, 2);
      assert.deepEqual(new Set(results.map(textOf)), new Set(ids.map((id) => `Hello n-${String(id).slice(-6)}`)));
    } finally {
      await client.close();
    }
    await eventually(() => nothingPending(kit), 'the registry is empty');
  });

  for (const era of ERAS) {
    test(`${era}: the answer reaches the waiting call through another instance (one shared table)`, async () => {
      const second = kit.apps[1]!.url;
      let redirected = 0;
      // The client's answers (POSTs of responses only) go to the second instance; everything else to the first.
      const routed: typeof fetch = async (input, init) => {
        const body = typeof init?.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
        if (init?.method === 'POST' && body && !('method' in body) && ('result' in body || 'error' in body)) {
          redirected += 1;
          return fetch(second, init);
        }
        return fetch(input, init);
      };
      const client = await connect(kit, era, { elicit: async () => ({ action: 'accept', content: { name: 'Cross' } }) }, { fetch: routed });
      try {
        assert.equal(textOf(await client.callTool({ name: 'ask_name', arguments: {} })), 'Hello Cross');
        assert.equal(redirected, 1);
      } finally {
        await client.close();
      }
      await eventually(() => nothingPending(kit), 'both registries are empty');
    });
  }

  test('a client that disconnects while asked releases everything; a late answer is refused', async () => {
    const token = await kit.token({ sub: 'dora' });
    const init = await post(kit.url, { ...INITIALIZE, params: { ...INITIALIZE.params, capabilities: { elicitation: {} } } }, { authorization: `Bearer ${token}` });
    const session = init.headers.get('mcp-session-id')!;
    const headers = { authorization: `Bearer ${token}`, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    await post(kit.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    const controller = new AbortController();
    const response = await fetch(kit.url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'ask_name', arguments: {} } }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    let text = '';
    while (!/"method":"elicitation\/create"/.test(text)) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the stream carries the request before it ends');
      text += new TextDecoder().decode(value);
    }
    const id = /"id":"(kit-[A-Za-z0-9_-]{22})"/.exec(text)![1];
    assert.equal(kit.apps[0]!.pending.size, 1);
    controller.abort();
    await eventually(() => nothingPending(kit), 'the registry is empty after the disconnect');
    const late = await post(kit.url, { jsonrpc: '2.0', id, result: { action: 'accept', content: { name: 'Late' } } }, headers);
    assert.equal(late.status, 400);
  });

  test('ending the session ends what its calls wait for', async () => {
    let seen: () => void = () => undefined;
    const asked = new Promise<void>((resolve) => (seen = resolve));
    const client = await connect(kit, 'v2 client, 2025-11-25', { elicit: () => (seen(), new Promise(() => undefined)) });
    const call = client.callTool({ name: 'ask_name', arguments: {} });
    await asked;
    const token = await kit.token({ sub: 'ann' });
    const ended = await fetch(kit.url, { method: 'DELETE', headers: { authorization: `Bearer ${token}`, 'mcp-session-id': client.transport.sessionId!, 'mcp-protocol-version': '2025-11-25' } });
    assert.equal(ended.status, 204);
    const result = await call;
    assert.equal(result.isError, true);
    await client.close().catch(() => undefined);
    await eventually(() => nothingPending(kit), 'the registry is empty after DELETE');
  });
});
