import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { startKit, type Kit } from './harness.js';

/** What the tests use of a client; the v1 and v2 SDK clients both have these methods. */
interface CapabilityClient {
  listResources(): Promise<{ resources: Array<{ uri: string }> }>;
  listResourceTemplates(): Promise<{ resourceTemplates: Array<{ uriTemplate: string }> }>;
  readResource(params: { uri: string }): Promise<{ contents: Array<{ uri: string; text?: string; blob?: string }> }>;
  listPrompts(): Promise<{ prompts: Array<{ name: string; arguments?: Array<{ name: string; required?: boolean }> }> }>;
  getPrompt(params: { name: string; arguments?: Record<string, string> }): Promise<{ description?: string; messages: Array<{ role: string; content: Record<string, unknown> }> }>;
  complete(params: { ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string }; argument: { name: string; value: string } }): Promise<{
    completion: { values: string[] };
  }>;
  close(): Promise<void>;
}

type Flavour = 'v2 client, 2026-07-28' | 'v2 client, 2025-11-25' | 'v1 client, 2025-11-25';
const FLAVOURS: readonly Flavour[] = ['v2 client, 2026-07-28', 'v2 client, 2025-11-25', 'v1 client, 2025-11-25'];

// Values planted in the bundled documents (fictitious) that must never reach a client.
const PLANTED = ['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', '219-09-9999', '4539 1488 0343 6467', 'ghp_1234567890abcdefghijklmnopqrstuvwxyzAB', 'Winter2026!'];

async function connect(kit: Kit, flavour: Flavour, groups: string[]): Promise<CapabilityClient> {
  const token = await kit.token({ sub: `caps-${groups.join('-')}`, groups });
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  if (flavour === 'v1 client, 2025-11-25') {
    const client = new LegacyClient({ name: 'caps-v1', version: '1.0.0' });
    await client.connect(new LegacyTransport(new URL(kit.url), { requestInit }));
    return client as unknown as CapabilityClient;
  }
  const client = new Client(
    { name: 'caps-v2', version: '1.0.0' },
    flavour === 'v2 client, 2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  await client.connect(new StreamableHTTPClientTransport(new URL(kit.url), { requestInit }));
  return client as unknown as CapabilityClient;
}

/** The JSON-RPC error a call fails with, its code and message (with `uri` replaced, when given). */
async function failureOf(call: Promise<unknown>, uri?: string): Promise<{ code: unknown; message: string }> {
  try {
    await call;
  } catch (error) {
    const { code, message } = error as { code?: unknown; message: string };
    return { code, message: uri ? message.split(uri).join('<uri>') : message };
  }
  assert.fail('the call was expected to fail');
}

function everyText(value: unknown): string {
  return JSON.stringify(value);
}

describe('resources, prompts and completion through the hardened path', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit();
  });
  after(async () => {
    await kit.close();
  });

  for (const flavour of FLAVOURS) {
    describe(flavour, () => {
      test('lists the documents and their template; a hidden runbook is not listed', async () => {
        const client = await connect(kit, flavour, ['staff']);
        try {
          const { resources } = await client.listResources();
          const uris = resources.map((resource) => resource.uri);
          assert.ok(uris.includes('docs://documents'));
          assert.ok(!uris.includes('docs://runbooks/incident-response'), 'the runbook is for operators only');
          const { resourceTemplates } = await client.listResourceTemplates();
          assert.deepEqual(resourceTemplates.map((template) => template.uriTemplate), ['docs://documents/{id}']);
        } finally {
          await client.close();
        }
      });

      test('reads a document through the template, with every planted secret and personal datum redacted', async () => {
        const client = await connect(kit, flavour, ['staff']);
        try {
          const { contents } = await client.readResource({ uri: 'docs://documents/incident-2291' });
          assert.equal(contents.length, 1);
          assert.equal(contents[0]!.uri, 'docs://documents/incident-2291');
          assert.match(contents[0]!.text ?? '', /Incident 2291/);
          assert.match(contents[0]!.text ?? '', /\[REDACTED:/);
          for (const planted of PLANTED) assert.ok(!everyText(contents).includes(planted), `"${planted}" came back`);
          const index = await client.readResource({ uri: 'docs://documents' });
          assert.match(index.contents[0]!.text ?? '', /^onboarding: /m);
        } finally {
          await client.close();
        }
      });

      test('a hidden resource answers exactly like a missing one; operators can read it', async () => {
        const staff = await connect(kit, flavour, ['staff']);
        try {
          const hidden = await failureOf(staff.readResource({ uri: 'docs://runbooks/incident-response' }), 'docs://runbooks/incident-response');
          const missing = await failureOf(staff.readResource({ uri: 'docs://runbooks/no-such-runbook' }), 'docs://runbooks/no-such-runbook');
          assert.deepEqual(hidden, missing);
          assert.equal(hidden.code, -32602);
          const unknownDocument = await failureOf(staff.readResource({ uri: 'docs://documents/no-such-document' }), 'docs://documents/no-such-document');
          assert.deepEqual(unknownDocument, missing);
        } finally {
          await staff.close();
        }
        const operator = await connect(kit, flavour, ['operators']);
        try {
          const { resources } = await operator.listResources();
          assert.ok(resources.some((resource) => resource.uri === 'docs://runbooks/incident-response'));
          const { contents } = await operator.readResource({ uri: 'docs://runbooks/incident-response' });
          assert.match(contents[0]!.text ?? '', /Incident response/);
        } finally {
          await operator.close();
        }
      });

      test('a template variable outside its schema is refused without echoing it', async () => {
        const client = await connect(kit, flavour, ['staff']);
        try {
          const failure = await failureOf(client.readResource({ uri: 'docs://documents/ATTACKER<script>' }));
          assert.ok(failure.code === -32602, `code ${String(failure.code)}`);
          assert.ok(!failure.message.includes('ATTACKER'), 'the value is not echoed');
        } finally {
          await client.close();
        }
      });

      test('lists prompts by policy, gets one with arguments, redacted; a hidden prompt answers like a missing one', async () => {
        const client = await connect(kit, flavour, ['staff']);
        try {
          const { prompts } = await client.listPrompts();
          const summarize = prompts.find((prompt) => prompt.name === 'summarize_document');
          assert.ok(summarize, 'summarize_document is listed');
          assert.deepEqual(summarize.arguments?.map((argument) => [argument.name, argument.required]), [['id', true], ['audience', false]]);
          assert.ok(!prompts.some((prompt) => prompt.name === 'incident_review'), 'incident_review is for operators only');
          const got = await client.getPrompt({ name: 'summarize_document', arguments: { id: 'ci-setup', audience: 'new engineers' } });
          assert.equal(got.messages.length, 2);
          assert.equal(got.messages[0]!.content.type, 'resource');
          assert.match(everyText(got.messages[0]!.content), /\[REDACTED:/);
          for (const planted of PLANTED) assert.ok(!everyText(got).includes(planted), `"${planted}" came back`);
          const hidden = await failureOf(client.getPrompt({ name: 'incident_review', arguments: { incident: 'incident-2291' } }));
          const missing = await failureOf(client.getPrompt({ name: 'no_such_prompt', arguments: { incident: 'incident-2291' } }));
          assert.deepEqual(hidden, missing);
        } finally {
          await client.close();
        }
      });

      test('prompt arguments are strict: unknown keys, oversized values and credential-shaped values are refused', async () => {
        const client = await connect(kit, flavour, ['staff']);
        try {
          const extra = await failureOf(client.getPrompt({ name: 'summarize_document', arguments: { id: 'travel', admin: 'yes' } }));
          assert.equal(extra.code, -32602);
          assert.match(extra.message, /a field it does not take; it takes "id" and "audience"/);
          assert.ok(!extra.message.includes("admin"), "the unknown key is not echoed");
          const long = await failureOf(client.getPrompt({ name: 'summarize_document', arguments: { id: 'travel', audience: 'x'.repeat(500) } }));
          assert.equal(long.code, -32602);
          assert.ok(!long.message.includes('xxxx'), 'the value is not echoed');
          const credential = await failureOf(client.getPrompt({ name: 'summarize_document', arguments: { id: 'travel', audience: 'AKIAIOSFODNN7EXAMPLE' } }));
          assert.equal(credential.code, -32602);
          assert.ok(!credential.message.includes('AKIA'), 'the value is not echoed');
        } finally {
          await client.close();
        }
      });

      test('completes prompt and template arguments only for what the principal may use', async () => {
        const staff = await connect(kit, flavour, ['staff']);
        try {
          const prompt = await staff.complete({ ref: { type: 'ref/prompt', name: 'summarize_document' }, argument: { name: 'id', value: 'inc' } });
          assert.deepEqual(prompt.completion.values, ['incident-2291']);
          const template = await staff.complete({ ref: { type: 'ref/resource', uri: 'docs://documents/{id}' }, argument: { name: 'id', value: 'tr' } });
          assert.deepEqual(template.completion.values, ['travel']);
        } finally {
          await staff.close();
        }
        const outsider = await connect(kit, flavour, ['analysts']);
        try {
          const hidden = await outsider.complete({ ref: { type: 'ref/prompt', name: 'summarize_document' }, argument: { name: 'id', value: 'inc' } });
          assert.deepEqual(hidden.completion.values, [], 'nothing is completed for a prompt the principal cannot see');
          const { resources } = await outsider.listResources();
          assert.deepEqual(resources, [], 'analysts outside staff see no documents');
        } finally {
          await outsider.close();
        }
      });
    });
  }
});

describe('progress notifications through the hardened path', () => {
  let kit: Kit;
  const reporter = defineTool({
    name: 'report_progress',
    title: 'Reports progress',
    description: 'Reports two steps of progress, one message carrying a planted secret.',
    input: z.strictObject({}),
    access: { scopes: ['mcp:identity.read'] },
    deadlineMs: 5_000,
    concurrencyPerPrincipal: 2,
    outputFilter: { redactPersonalData: true, moderate: false },
    handler: async (_args, { progress }) => {
      await progress(1, 2, 'first half, key AKIAIOSFODNN7EXAMPLE');
      await progress(2, 2);
      return { content: [{ type: 'text', text: 'done' }] };
    },
  });
  before(async () => {
    kit = await startKit({ tools: [...DEFAULT_TOOLS, reporter] as ToolDefinition[] });
  });
  after(async () => {
    await kit.close();
  });

  for (const flavour of FLAVOURS) {
    test(`${flavour}: a client that asks for progress gets it, redacted`, async () => {
      const client = (await connect(kit, flavour, ['staff'])) as unknown as {
        callTool(params: unknown, schema?: unknown, options?: { onprogress: (update: { progress: number; total?: number; message?: string }) => void }): Promise<{ content: unknown }>;
        close(): Promise<void>;
      };
      try {
        const updates: Array<{ progress: number; total?: number; message?: string }> = [];
        const onprogress = (update: { progress: number; total?: number; message?: string }) => updates.push(update);
        // v1 takes (params, resultSchema, options); v2 takes (params, options).
        const result = flavour.startsWith('v1') ? await client.callTool({ name: 'report_progress', arguments: {} }, undefined, { onprogress }) : await (client.callTool as (p: unknown, o: unknown) => Promise<{ content: unknown }>)({ name: 'report_progress', arguments: {} }, { onprogress });
        assert.match(JSON.stringify(result.content), /done/);
        assert.deepEqual(updates.map((update) => [update.progress, update.total]), [[1, 2], [2, 2]]);
        assert.match(updates[0]!.message ?? '', /\[REDACTED:/);
        assert.ok(!JSON.stringify(updates).includes('AKIAIOSFODNN7EXAMPLE'));
      } finally {
        await client.close();
      }
    });
  }
});
