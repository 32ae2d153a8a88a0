import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { acceptedContent, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { startKit, type Kit } from './harness.js';

// Multi round-trip requests of the 2026-07-28 era (input_required + sealed requestState) and the
// platform's confirmation of `confirm: true` tools, end to end: the real server (two instances on
// one dynalite table), real tokens, the official SDK v2 client, and raw requests where a client
// would never misbehave on its own (tampered, replayed and foreign state).

const PLANTED_KEY = 'AKIAIOSFODNN7EXAMPLE';
const destination = z.strictObject({ city: z.string().min(1).max(60) });

/** Three rounds: the user (elicitation), the model (sampling), the client's roots; state sealed between them. */
const planTrip = defineTool({
  name: 'plan_trip',
  title: 'Plan a trip',
  description: 'Asks where to go, asks the model for a tip, and looks at the client roots.',
  input: z.strictObject({ days: z.number().int().min(1).max(30) }),
  access: { scopes: ['mcp:trips.plan'] },
  asks: ['elicitation', 'sampling', 'roots'],
  deadlineMs: 3_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
  handler: async ({ days }, { input }) => {
    const state = z.strictObject({ round: z.number().int(), city: z.string().optional(), tip: z.string().optional() }).safeParse(input.state);
    if (state.success && state.data.round === 1) {
      const answer = acceptedContent(input.responses, 'where', destination);
      if (answer) {
        return inputRequired({
          inputRequests: {
            tip: inputRequired.createMessage({
              // A credential planted in what goes to the model: the platform redacts it before it leaves.
              messages: [{ role: 'user', content: { type: 'text', text: `One tip for ${days} days in ${answer.city}. Deploy key ${PLANTED_KEY}.` } }],
              maxTokens: 50,
            }),
          },
          requestState: await input.seal({ round: 2, city: answer.city }),
        });
      }
    }
    if (state.success && state.data.round === 2) {
      const view = inputResponse(input.responses, 'tip');
      if (view.kind === 'sampling' && !Array.isArray(view.result.content) && view.result.content.type === 'text') {
        return inputRequired({ inputRequests: { roots: inputRequired.listRoots() }, requestState: await input.seal({ round: 3, city: state.data.city, tip: view.result.content.text.slice(0, 200) }) });
      }
    }
    if (state.success && state.data.round === 3) {
      const view = inputResponse(input.responses, 'roots');
      if (view.kind === 'roots') return { content: [{ type: 'text', text: `${days} days in ${state.data.city}: ${state.data.tip} (saved under ${view.roots[0]?.uri ?? 'nowhere'})` }] };
    }
    return inputRequired({
      inputRequests: { where: inputRequired.elicit({ message: 'Where to?', requestedSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }) },
      requestState: await input.seal({ round: 1 }),
    });
  },
});

const ENVELOPE_VERSION = '2026-07-28';

/** A raw 2026-07-28 request, as a client sends it: the `_meta` envelope and the mirrored headers. */
async function modernCall(
  url: string,
  token: string,
  params: { name: string; arguments?: Record<string, unknown>; inputResponses?: Record<string, unknown>; requestState?: string },
  capabilities: Record<string, unknown> = { elicitation: { form: {} } },
): Promise<{ status: number; body: { result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } } }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': ENVELOPE_VERSION,
      'mcp-method': 'tools/call',
      'mcp-name': params.name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 7,
      method: 'tools/call',
      params: {
        ...params,
        arguments: params.arguments ?? {},
        _meta: {
          'io.modelcontextprotocol/protocolVersion': ENVELOPE_VERSION,
          'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': capabilities,
        },
      },
    }),
  });
  return { status: response.status, body: (await response.json()) as never };
}

const ACCEPT = { action: 'accept', content: { confirm: true } } as const;
const REFUSED = { code: -32602, message: 'Invalid or expired requestState', data: { reason: 'invalid_request_state' } };

interface TextResult {
  content: Array<{ type: string; text?: string }>;
  isError?: boolean;
  structuredContent?: { notes?: unknown[] };
}

async function modernClient(kit: Kit, sub: string, capabilities: Record<string, unknown>, url = kit.url): Promise<Client> {
  const token = await kit.token({ sub });
  const client = new Client({ name: 'input-v2', version: '1.0.0' }, { capabilities, versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

async function notesOf(client: Client): Promise<unknown[]> {
  const listed = (await client.callTool({ name: 'notes_list', arguments: {} })) as TextResult;
  return listed.structuredContent?.notes ?? [];
}

async function addNotes(client: Client, ...texts: string[]): Promise<void> {
  for (const text of texts) {
    const added = (await client.callTool({ name: 'notes_add', arguments: { text } })) as TextResult;
    assert.notEqual(added.isError, true);
  }
}

describe('multi round-trip requests (2026-07-28) and confirm tools', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ instances: 2, tools: [...DEFAULT_TOOLS, planTrip] as ToolDefinition[], env: { MCP_REQUEST_STATE_PER_PRINCIPAL: '8' } });
  });
  after(async () => {
    await kit.close();
  });

  test('elicitation, sampling and roots over three rounds, with a planted secret redacted from what goes to the model', async () => {
    const client = await modernClient(kit, 'traveller', { elicitation: { form: {} }, sampling: {}, roots: {} });
    const seen: string[] = [];
    let sampled = '';
    client.setRequestHandler('elicitation/create', async (request) => {
      seen.push(`elicit:${request.params.message}`);
      return { action: 'accept', content: { city: 'Lisbon' } };
    });
    client.setRequestHandler('sampling/createMessage', async (request) => {
      const first = request.params.messages[0]!.content;
      sampled = !Array.isArray(first) && first.type === 'text' ? first.text : '';
      seen.push('sample');
      return { role: 'assistant', content: { type: 'text', text: 'Take tram 28.' }, model: 'test-model', stopReason: 'endTurn' };
    });
    client.setRequestHandler('roots/list', async () => {
      seen.push('roots');
      return { roots: [{ uri: 'file:///home/traveller/trips', name: 'Trips' }] };
    });
    try {
      const result = (await client.callTool({ name: 'plan_trip', arguments: { days: 3 } })) as TextResult;
      assert.deepEqual(seen, ['elicit:Where to?', 'sample', 'roots']);
      assert.equal(result.content[0]!.text, '3 days in Lisbon: Take tram 28. (saved under file:///home/traveller/trips)');
      assert.match(sampled, /One tip for 3 days in Lisbon/);
      assert.ok(!sampled.includes(PLANTED_KEY), 'the planted key reached the model');
      assert.match(sampled, /\[REDACTED:/);
    } finally {
      await client.close();
    }
    const access = kit.logs.filter((line) => line.includes('"resultType":"input_required"') && line.includes('"method":"tools/call"'));
    assert.ok(access.length >= 3, 'the access log names the method and that the answer was input_required');
  });

  test('confirm tool: the platform asks first; accepted, the notes are deleted', async () => {
    const client = await modernClient(kit, 'confirmer', { elicitation: { form: {} } });
    const asked: string[] = [];
    client.setRequestHandler('elicitation/create', async (request) => {
      asked.push(request.params.message);
      return ACCEPT;
    });
    try {
      await addNotes(client, 'one', 'two');
      const result = (await client.callTool({ name: 'notes_clear', arguments: {} })) as TextResult;
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /"Delete all my notes" \(notes_clear\)\. Deletes every note you saved\./);
      assert.equal(result.content[0]!.text, 'Deleted 2 notes.');
      assert.deepEqual(await notesOf(client), []);
    } finally {
      await client.close();
    }
  });

  for (const answer of [{ action: 'decline' }, { action: 'cancel' }, { action: 'accept', content: { confirm: false } }] as const) {
    test(`confirm tool: ${answer.action}${'content' in answer ? ' unchecked' : ''} runs nothing and says so`, async () => {
      const client = await modernClient(kit, `decliner-${answer.action}-${'content' in answer}`, { elicitation: { form: {} } });
      client.setRequestHandler('elicitation/create', async () => answer);
      try {
        await addNotes(client, 'keep me');
        const result = (await client.callTool({ name: 'notes_clear', arguments: {} })) as TextResult;
        assert.equal(result.isError, true);
        assert.match(result.content[0]!.text ?? '', /^Not run: "Delete all my notes" needs your confirmation/);
        assert.equal((await notesOf(client)).length, 1);
      } finally {
        await client.close();
      }
    });
  }

  test('confirm tool: a client without the elicitation capability is refused (-32021) and the handler never runs', async () => {
    const client = await modernClient(kit, 'no-elicitation', {});
    try {
      await addNotes(client, 'still here');
      const failure = await client.callTool({ name: 'notes_clear', arguments: {} }).then(
        () => assert.fail('the call was expected to be refused'),
        (error: { code?: number; data?: unknown }) => error,
      );
      assert.equal(failure.code, -32021);
      assert.deepEqual(failure.data, { requiredCapabilities: { elicitation: { form: {} } } });
      assert.equal((await notesOf(client)).length, 1);
    } finally {
      await client.close();
    }
  });

  test('confirm tool on the 2025 era: a client without elicitation gets no deletion', async () => {
    const token = await kit.token({ sub: 'legacy-no-elicitation' });
    const client = new LegacyClient({ name: 'input-v1', version: '1.0.0' });
    await client.connect(new LegacyTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      await client.callTool({ name: 'notes_add', arguments: { text: 'legacy note' } });
      const result = await client.callTool({ name: 'notes_clear', arguments: {} }).then(
        (value) => value as TextResult,
        (error: Error) => ({ content: [{ type: 'text', text: error.message }], isError: true }),
      );
      assert.equal(result.isError, true);
      const listed = (await client.callTool({ name: 'notes_list', arguments: {} })) as TextResult;
      assert.equal(listed.structuredContent?.notes?.length, 1);
    } finally {
      await client.close();
    }
  });

  test('confirm tool on the 2025 era: the same declaration asks through a real elicitation request, then deletes', async () => {
    const token = await kit.token({ sub: 'legacy-confirmer' });
    const client = new LegacyClient({ name: 'input-v1', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return ACCEPT;
    });
    await client.connect(new LegacyTransport(new URL(kit.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
    try {
      await client.callTool({ name: 'notes_add', arguments: { text: 'legacy note' } });
      const result = (await client.callTool({ name: 'notes_clear', arguments: {} })) as TextResult;
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /"Delete all my notes" \(notes_clear\)/);
      assert.equal(result.content[0]!.text, 'Deleted 1 notes.');
    } finally {
      await client.close();
    }
  });

  test('raw rounds: a tampered state, a replayed one (also on the second instance), another principal\'s and another request\'s are refused; nothing is deleted', async () => {
    const alice = await kit.token({ sub: 'raw-alice' });
    const bob = await kit.token({ sub: 'raw-bob' });
    const aliceClient = await modernClient(kit, 'raw-alice', {});
    const bobClient = await modernClient(kit, 'raw-bob', {});
    const secondUrl = kit.apps[1]!.url;
    try {
      await addNotes(aliceClient, 'a1', 'a2');
      await addNotes(bobClient, 'b1');

      const first = await modernCall(kit.url, alice, { name: 'notes_clear' });
      assert.equal(first.status, 200);
      assert.equal(first.body.result?.resultType, 'input_required');
      const state = first.body.result?.requestState as string;
      assert.equal(typeof state, 'string');
      const inputResponses = { platform_confirmation: ACCEPT };

      // Tampered: refused with the SDK's frozen answer, echoing nothing.
      const tampered = await modernCall(kit.url, alice, { name: 'notes_clear', inputResponses, requestState: `${state.slice(0, -4)}AAAA` });
      assert.deepEqual(tampered.body.error, REFUSED);

      // Another principal presenting alice's state: refused, and bob's notes stay.
      const foreign = await modernCall(kit.url, bob, { name: 'notes_clear', inputResponses, requestState: state });
      assert.deepEqual(foreign.body.error, REFUSED);
      assert.equal((await notesOf(bobClient)).length, 1);

      // The same principal presenting it for another request (another tool): refused.
      const trip = await modernCall(kit.url, alice, { name: 'plan_trip', arguments: { days: 2 } });
      const otherRequest = await modernCall(kit.url, alice, { name: 'notes_clear', inputResponses, requestState: trip.body.result?.requestState as string });
      assert.deepEqual(otherRequest.body.error, REFUSED);
      assert.equal((await notesOf(aliceClient)).length, 2);

      // The genuine round: the notes go.
      const confirmed = await modernCall(kit.url, alice, { name: 'notes_clear', inputResponses, requestState: state });
      assert.equal(confirmed.body.result?.resultType, 'complete');
      assert.deepEqual(await notesOf(aliceClient), []);

      // Replayed: refused on this instance and on the other one, which shares the table.
      await addNotes(aliceClient, 'a3');
      for (const url of [kit.url, secondUrl]) {
        const replayed = await modernCall(url, alice, { name: 'notes_clear', inputResponses, requestState: state });
        assert.deepEqual(replayed.body.error, REFUSED);
      }
      assert.equal((await notesOf(aliceClient)).length, 1);
      for (const refusal of [tampered, foreign, otherRequest]) assert.ok(!JSON.stringify(refusal.body).includes(state.slice(0, 20)));
    } finally {
      await aliceClient.close();
      await bobClient.close();
    }
  });

  test('a state sealed on one instance is accepted once on the other', async () => {
    const token = await kit.token({ sub: 'two-instances' });
    const client = await modernClient(kit, 'two-instances', {});
    try {
      await addNotes(client, 'x');
      const first = await modernCall(kit.url, token, { name: 'notes_clear' });
      const second = await modernCall(kit.apps[1]!.url, token, { name: 'notes_clear', inputResponses: { platform_confirmation: ACCEPT }, requestState: first.body.result?.requestState as string });
      assert.equal(second.body.result?.resultType, 'complete');
      assert.deepEqual(await notesOf(client), []);
    } finally {
      await client.close();
    }
  });

  test('a confirmation answered without the platform\'s state is asked again, not taken', async () => {
    const token = await kit.token({ sub: 'forger' });
    const client = await modernClient(kit, 'forger', {});
    try {
      await addNotes(client, 'y');
      const forged = await modernCall(kit.url, token, { name: 'notes_clear', inputResponses: { platform_confirmation: ACCEPT } });
      assert.equal(forged.body.result?.resultType, 'input_required');
      assert.equal((await notesOf(client)).length, 1);
    } finally {
      await client.close();
    }
  });

  test('pending rounds are bounded per principal', async () => {
    const token = await kit.token({ sub: 'greedy' });
    const answers: Array<Record<string, unknown> | undefined> = [];
    for (let round = 0; round < 9; round += 1) answers.push((await modernCall(kit.url, token, { name: 'notes_clear' })).body.result);
    assert.ok(answers.slice(0, 8).every((answer) => answer?.resultType === 'input_required'));
    const refused = answers[8] as unknown as TextResult;
    assert.equal(refused.isError, true);
    assert.match(refused.content[0]!.text ?? '', /^Too many requests are waiting for input/);
  });
});
