import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { catalogScopes } from '../src/tools/registry.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

// Test-only tools: they misbehave on purpose, to show what the platform does about it.
const leakyFailure = defineTool({
  name: 'leaky_failure',
  title: 'Fails with details',
  description: 'Throws an error full of internal details.',
  input: z.strictObject({}),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async () => {
    const error = new TypeError(
      'ConditionalCheckFailedException: arn:aws:dynamodb:eu-west-1:123456789012:table/prod-sessions at db-7.internal.corp.example:5432 ' +
        'SELECT * FROM users WHERE id = 1 /srv/app/runtime/src/secret.ts:42',
    );
    throw error;
  },
});

const stubborn = defineTool({
  name: 'stubborn_sleeper',
  title: 'Ignores its deadline',
  description: 'Sleeps without looking at its abort signal.',
  input: z.strictObject({ ms: z.number().int().min(0).max(10_000) }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 300,
  concurrencyPerPrincipal: 1,
  outputFilter: { redactPersonalData: false, moderate: false },
  handler: async ({ ms }) => {
    await sleep(ms);
    return { content: [{ type: 'text', text: 'done' }] };
  },
});

const echo = defineTool({
  name: 'echo_text',
  title: 'Echo',
  description: 'Returns the text it is given.',
  input: z.strictObject({ text: z.string().max(2000), nested: z.strictObject({ note: z.string().max(100) }).optional() }),
  access: { scopes: ['mcp:test.run'] },
  deadlineMs: 1000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ text }) => ({ content: [{ type: 'text', text }] }),
});

const TEST_TOOLS = [...DEFAULT_TOOLS, leakyFailure, stubborn, echo] as ToolDefinition[];

interface RpcResult {
  result?: { tools?: Array<{ name: string }>; content?: Array<{ text: string }>; isError?: boolean; structuredContent?: unknown };
  error?: { code: number; message: string };
}

describe('tool platform', () => {
  let kit: Kit;
  const sessions = new Map<string, { token: string; session: string }>();

  async function as(sub: string, scopes: readonly string[], groups: readonly string[]) {
    const key = `${sub}|${scopes.join(' ')}|${groups.join(',')}`;
    let entry = sessions.get(key);
    if (!entry) {
      const token = await kit.token({ sub, scopes, groups });
      const response = await post(kit.url, INITIALIZE, { authorization: `Bearer ${token}` });
      assert.equal(response.status, 200);
      entry = { token, session: response.headers.get('mcp-session-id')! };
      sessions.set(key, entry);
    }
    const { token, session } = entry;
    return async (method: string, params: Record<string, unknown>): Promise<RpcResult> => {
      const response = await post(kit.url, { jsonrpc: '2.0', id: 7, method, params }, {
        authorization: `Bearer ${token}`,
        'mcp-session-id': session,
        'mcp-protocol-version': '2025-11-25',
      });
      assert.equal(response.status, 200, response.text);
      return response.json() as RpcResult;
    };
  }
  const ALL = catalogScopes(TEST_TOOLS);

  before(async () => {
    kit = await startKit({ tools: TEST_TOOLS });
  });
  after(async () => {
    await kit.close();
  });

  test('list and call agree for every tool and principal, and a hidden tool looks exactly like a missing one', async () => {
    const principals: Array<[string, string[], string[]]> = [
      ['everything-staff', ALL, ['staff']],
      ['everything-analyst', ALL, ['analysts']],
      ['everything-nogroup', ALL, []],
      ['identity-only', ['mcp:identity.read'], ['staff', 'operators']],
      ['notes-reader', ['mcp:notes.read'], []],
      ['notes-writer', ['mcp:notes.write', 'mcp:notes.read'], []],
      ['docs-no-group', ['mcp:docs.search'], []],
      ['operator', ['mcp:docs.search', 'mcp:reports.run'], ['operators']],
    ];
    let hiddenSeen = 0;
    for (const [sub, scopes, groups] of principals) {
      const rpc = await as(sub, scopes, groups);
      const listed = new Set((await rpc('tools/list', {})).result!.tools!.map((tool) => tool.name));
      const missing = await rpc('tools/call', { name: 'no_such_tool', arguments: {} });
      for (const tool of TEST_TOOLS) {
        // Invalid arguments on purpose: a visible tool answers with a validation error, a hidden one as missing.
        const answer = await rpc('tools/call', { name: tool.name, arguments: { unexpected_argument: 1 } });
        if (listed.has(tool.name)) {
          assert.equal(answer.error, undefined, `${sub} may call ${tool.name}`);
          assert.equal(answer.result?.isError, true);
        } else {
          hiddenSeen += 1;
          assert.ok(answer.error, `${sub} may not call ${tool.name}`);
          assert.equal(answer.error.code, missing.error!.code);
          assert.equal(answer.error.message.replace(tool.name, 'X'), missing.error!.message.replace('no_such_tool', 'X'));
        }
      }
    }
    assert.ok(hiddenSeen > 10, 'the dev catalog has tools some principals cannot see');
  });

  test('validation names the field and the rule and never echoes the value', async () => {
    const rpc = await as('val', ALL, ['staff']);
    const secretish = 'zebra-unicorn-'.repeat(20);
    const answer = await rpc('tools/call', { name: 'notes_add', arguments: { text: secretish.repeat(5) } });
    const text = answer.result!.content![0]!.text;
    assert.equal(answer.result!.isError, true);
    assert.match(text, /text must be at most 1000 characters/);
    assert.ok(!text.includes('zebra'), 'the value is not echoed');
    const unknown = await rpc('tools/call', { name: 'whoami', arguments: { extra: 'zebra' } });
    assert.match(unknown.result!.content![0]!.text, /arguments must be empty: this takes no fields/);
    assert.ok(!/zebra|extra/.test(unknown.result!.content![0]!.text), 'neither the unknown key nor its value is echoed');
    const missing = await rpc('tools/call', { name: 'notes_add', arguments: {} });
    assert.match(missing.result!.content![0]!.text, /text is required/);
    const pattern = await rpc('tools/call', { name: 'notes_remove', arguments: { id: 'zebra-01' } });
    assert.match(pattern.result!.content![0]!.text, /id must be a note id as notes_list shows it/);
    assert.doesNotMatch(pattern.result!.content![0]!.text, /zebra|regex/);
  });

  test('deeply nested arguments are refused before validation', async () => {
    const rpc = await as('nest', ALL, ['staff']);
    let nested: unknown = 'x';
    for (let depth = 0; depth < 40; depth += 1) nested = { a: nested };
    const answer = await rpc('tools/call', { name: 'echo_text', arguments: { text: 'hi', nested } });
    assert.equal(answer.result!.isError, true);
    assert.match(answer.result!.content![0]!.text, /nest at most/);
  });

  test('argument values that look like credentials are refused and counted', async () => {
    const rpc = await as('cred', ALL, ['staff']);
    const token = await kit.token();
    for (const value of [token, 'AKIAIOSFODNN7EXAMPLE', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', 'ghp_1234567890abcdefghijklmnopqrstuvwxyzAB']) {
      const answer = await rpc('tools/call', { name: 'echo_text', arguments: { text: value } });
      assert.equal(answer.result!.isError, true);
      assert.match(answer.result!.content![0]!.text, /look like they contain a credential/);
      assert.ok(!answer.result!.content![0]!.text.includes(value.slice(0, 12)));
    }
  });

  test('a handler that ignores its deadline is answered at the deadline', async () => {
    const rpc = await as('slow', ALL, ['staff']);
    const started = Date.now();
    const answer = await rpc('tools/call', { name: 'stubborn_sleeper', arguments: { ms: 3000 } });
    const elapsed = Date.now() - started;
    assert.equal(answer.result!.isError, true);
    assert.match(answer.result!.content![0]!.text, /did not finish within its deadline/);
    assert.ok(elapsed < 2500, `answered before the handler finished (${elapsed} ms)`);
    // Its slot is held until the handler really returns: a second call is refused meanwhile.
    const busy = await post(kit.url, { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'stubborn_sleeper', arguments: { ms: 0 } } }, {
      authorization: `Bearer ${sessions.get([...sessions.keys()].find((key) => key.startsWith('slow|'))!)!.token}`,
      'mcp-session-id': sessions.get([...sessions.keys()].find((key) => key.startsWith('slow|'))!)!.session,
      'mcp-protocol-version': '2025-11-25',
    });
    assert.equal(busy.status, 429);
    assert.ok(Number(busy.headers.get('retry-after')) >= 1);
  });

  test('a failing handler reaches the client as a fixed message with a correlation id; the cause goes to the log', async () => {
    const rpc = await as('fail', ALL, ['staff']);
    const answer = await rpc('tools/call', { name: 'leaky_failure', arguments: {} });
    const text = answer.result!.content![0]!.text;
    assert.equal(answer.result!.isError, true);
    assert.match(text, /^The tool failed\. Correlation id: 1-[0-9a-f]{8}-[0-9a-f]{24}\.$/);
    for (const leak of ['arn:aws', '123456789012', 'internal.corp', 'SELECT', '/srv/app', 'TypeError', 'ConditionalCheck', '.ts:']) {
      assert.ok(!text.includes(leak), `${leak} must not reach the client`);
    }
    const correlationId = /Correlation id: (\S+)\./.exec(text)![1]!;
    const logged = kit.logs.filter((line) => line.includes(correlationId) && line.includes('ConditionalCheckFailedException'));
    assert.ok(logged.length > 0, 'the private cause is logged under the correlation id');
  });

  test('results pass the secret and personal-data filters', async () => {
    const rpc = await as('search', ALL, ['staff']);
    const answer = await rpc('tools/call', { name: 'search_documents', arguments: { query: 'incident', limit: 1 } });
    const text = answer.result!.content![0]!.text;
    assert.equal(answer.result!.isError, undefined);
    for (const secret of ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI', '219-09-9999', '4539 1488 0343 6467']) {
      assert.ok(!text.includes(secret), `${secret} is redacted`);
      assert.ok(!JSON.stringify(answer.result!.structuredContent).includes(secret), `${secret} is redacted in structured content`);
    }
    assert.match(text, /\[REDACTED:/);
  });

  test('a search cannot confirm a secret or enumerate card digits the filter removes', async () => {
    const rpc = await as('oracle', ALL, ['staff']);
    const search = async (query: string) => {
      const answer = await rpc('tools/call', { name: 'search_documents', arguments: { query, limit: 10 } });
      assert.equal(answer.result!.isError, undefined, query);
      return (answer.result!.structuredContent as { results: Array<{ id: string }> }).results.map((r) => r.id);
    };
    // Every one of these is in a bundled document before filtering.
    for (const query of ['4539', '4539 1488', '0343 6467', '219', '9999', 'wJalrXUtnFEMI', 'Winter2026', 'Tr0ub4dor', 'DE89 3704', '0532 0130']) {
      assert.deepEqual(await search(query), [], `a query for ${JSON.stringify(query)} finds nothing`);
    }
    // What the caller may see is still found.
    assert.deepEqual(await search('incident payment batch'), ['incident-2291']);
  });

  test('a search cursor is a handle bound to its owner', async () => {
    const alice = await as('cursor-owner', ALL, ['staff']);
    const first = await alice('tools/call', { name: 'search_documents', arguments: { query: 'the', limit: 1 } });
    const cursor = (first.result!.structuredContent as { cursor?: string }).cursor;
    assert.ok(cursor, 'more results come with a cursor');
    const next = await alice('tools/call', { name: 'search_documents', arguments: { cursor, limit: 1 } });
    assert.equal((next.result!.structuredContent as { results: unknown[] }).results.length, 1);
    const mallory = await as('cursor-thief', ALL, ['staff']);
    const stolen = await mallory('tools/call', { name: 'search_documents', arguments: { cursor, limit: 1 } });
    assert.deepEqual((stolen.result!.structuredContent as { results: unknown[] }).results, []);
  });
});
