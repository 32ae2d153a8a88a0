import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as LegacyTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MAX_LOG_MESSAGES_PER_CALL } from '../src/logging/index.js';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

/** A fictitious AWS access key id planted in a log message; it must never reach a client. */
const PLANTED_KEY = 'AKIAIOSFODNN7EXAMPLE';
const LOG_LEVEL_META_KEY = 'io.modelcontextprotocol/logLevel';

const CONTROLS = {
  input: z.strictObject({}),
  access: { scopes: ['mcp:identity.read'] },
  deadlineMs: 5_000,
  concurrencyPerPrincipal: 4,
  outputFilter: { redactPersonalData: true, moderate: false },
} as const;

const logLevels = defineTool({
  name: 'log_levels',
  title: 'Logs at four levels',
  description: 'Logs one message at debug, info, warning and error; the warning carries a planted key.',
  ...CONTROLS,
  handler: async (_args, { log }) => {
    await log('debug', 'debug: starting');
    await log('info', 'info: working');
    await log('warning', `warning: found key ${PLANTED_KEY} in the input`);
    await log('error', 'error: giving up');
    return { content: [{ type: 'text', text: 'done' }] };
  },
});

const logFlood = defineTool({
  name: 'log_flood',
  title: 'Logs too much',
  description: 'Tries to log more messages than one call may send.',
  ...CONTROLS,
  handler: async (_args, { log }) => {
    for (let index = 0; index < MAX_LOG_MESSAGES_PER_CALL + 10; index += 1) await log('error', `message ${index} ${'x'.repeat(2_000)}`);
    return { content: [{ type: 'text', text: 'flooded' }] };
  },
});

const TOOLS: readonly ToolDefinition[] = [...DEFAULT_TOOLS, logLevels, logFlood] as ToolDefinition[];

interface LogMessage {
  level: string;
  logger?: string;
  data: unknown;
}

/** What the tests use of a client: the v1 and v2 SDK clients both have these methods. */
interface LoggingClient {
  setLoggingLevel(level: string): Promise<unknown>;
  callTool(params: { name: string; arguments: Record<string, unknown>; _meta?: Record<string, unknown> }): Promise<{ content: unknown; isError?: boolean }>;
  close(): Promise<void>;
}

type Flavour = 'v2 client, 2025-11-25' | 'v1 client, 2025-11-25';

async function connect(kit: Kit, flavour: Flavour | 'v2 client, 2026-07-28', messages: LogMessage[]): Promise<LoggingClient> {
  const token = await kit.token({ sub: `logging-${flavour.slice(0, 2)}` });
  const requestInit = { headers: { authorization: `Bearer ${token}` } };
  if (flavour === 'v1 client, 2025-11-25') {
    const client = new LegacyClient({ name: 'logging-v1', version: '1.0.0' });
    client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => void messages.push(notification.params as LogMessage));
    await client.connect(new LegacyTransport(new URL(kit.url), { requestInit }));
    return client as unknown as LoggingClient;
  }
  const client = new Client(
    { name: 'logging-v2', version: '1.0.0' },
    flavour === 'v2 client, 2026-07-28' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {},
  );
  client.setNotificationHandler('notifications/message', (notification) => void messages.push(notification.params as LogMessage));
  await client.connect(new StreamableHTTPClientTransport(new URL(kit.url), { requestInit }));
  return client as unknown as LoggingClient;
}

describe('log notifications from tools', () => {
  let kit: Kit;
  before(async () => {
    kit = await startKit({ tools: TOOLS, instances: 2 });
  });
  after(async () => {
    await kit.close();
  });

  for (const flavour of ['v2 client, 2025-11-25', 'v1 client, 2025-11-25'] as const) {
    describe(flavour, () => {
      test('nothing is sent before logging/setLevel; afterwards only the allowed levels, redacted, in every later request', async () => {
        const messages = [] as LogMessage[];
        const client = await connect(kit, flavour, messages);
        try {
          await client.callTool({ name: 'log_levels', arguments: {} });
          assert.equal(messages.length, 0, 'no level asked for: no log notifications');

          await client.setLoggingLevel('warning');
          // Each request is served by a fresh server instance: the level lives in the session record.
          for (let round = 0; round < 2; round += 1) {
            messages.length = 0;
            const result = await client.callTool({ name: 'log_levels', arguments: {} });
            assert.equal(result.isError, undefined);
            assert.deepEqual(messages.map((message) => message.level), ['warning', 'error']);
            assert.ok(messages.every((message) => message.logger === 'log_levels'));
            assert.match(String(messages[0]!.data), /\[REDACTED:/);
            assert.ok(!JSON.stringify(messages).includes(PLANTED_KEY), 'the planted key came back');
          }

          await client.setLoggingLevel('debug');
          messages.length = 0;
          await client.callTool({ name: 'log_levels', arguments: {} });
          assert.deepEqual(messages.map((message) => message.level), ['debug', 'info', 'warning', 'error']);
        } finally {
          await client.close();
        }
      });

      test(`a call sends at most ${MAX_LOG_MESSAGES_PER_CALL} messages, each bounded`, async () => {
        const messages = [] as LogMessage[];
        const client = await connect(kit, flavour, messages);
        try {
          await client.setLoggingLevel('info');
          const result = await client.callTool({ name: 'log_flood', arguments: {} });
          assert.equal(result.isError, undefined);
          assert.equal(messages.length, MAX_LOG_MESSAGES_PER_CALL);
          assert.ok(messages.every((message) => String(message.data).length <= 1_000));
        } finally {
          await client.close();
        }
      });
    });
  }

  test('v2 client, 2026-07-28: only a request that carries a logLevel gets log messages, from that level', async () => {
    const messages = [] as LogMessage[];
    const client = await connect(kit, 'v2 client, 2026-07-28', messages);
    try {
      await client.callTool({ name: 'log_levels', arguments: {} });
      assert.equal(messages.length, 0, 'no logLevel in the request: no log notifications');

      await client.callTool({ name: 'log_levels', arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: 'info' } });
      assert.deepEqual(messages.map((message) => message.level), ['info', 'warning', 'error']);
      assert.ok(!JSON.stringify(messages).includes(PLANTED_KEY), 'the planted key came back');

      messages.length = 0;
      await client.callTool({ name: 'log_levels', arguments: {}, _meta: { [LOG_LEVEL_META_KEY]: 'error' } });
      assert.deepEqual(messages.map((message) => message.level), ['error']);

      messages.length = 0;
      await client.callTool({ name: 'log_levels', arguments: {} });
      assert.equal(messages.length, 0, 'the level of one request does not carry over to the next');
    } finally {
      await client.close();
    }
  });

  test('the level set on one instance holds on another; a bad level is refused without echo and changes nothing', async () => {
    const token = await kit.token({ sub: 'logging-instances' });
    const auth = { authorization: `Bearer ${token}` };
    const [first, second] = kit.apps.map((app) => app.url);
    const opened = await post(first!, INITIALIZE, auth);
    const session = opened.headers.get('mcp-session-id')!;
    const headers = { ...auth, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' };
    await post(first!, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);

    const set = await post(first!, { jsonrpc: '2.0', id: 2, method: 'logging/setLevel', params: { level: 'error' } }, headers);
    assert.equal(set.status, 200);
    assert.deepEqual((set.json() as { result?: unknown }).result, {});

    const hostile = 'verbose<script>alert(1)</script>';
    const refused = await post(first!, { jsonrpc: '2.0', id: 3, method: 'logging/setLevel', params: { level: hostile } }, headers);
    const error = (refused.json() as { error?: { code: number } }).error;
    assert.equal(error?.code, -32602);
    assert.ok(!refused.text.includes('script'), 'the refused level was echoed');

    const called = await post(second!, { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'log_levels', arguments: {} } }, headers);
    assert.equal(called.status, 200);
    const frames = called.text
      .split('\n')
      .filter((line) => line.startsWith('data:'))
      .map((line) => JSON.parse(line.slice(5)) as { method?: string; params?: LogMessage; result?: unknown });
    assert.deepEqual(
      frames.filter((frame) => frame.method === 'notifications/message').map((frame) => frame.params!.level),
      ['error'],
    );
    assert.ok(frames.some((frame) => frame.result !== undefined), 'the call answered');

    // The access records name the method.
    const access = kit.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((record) => 'outcome' in record && 'status' in record);
    assert.ok(access.some((record) => record.method === 'logging/setLevel' && record.status === 200 && record.protocolEra === 'legacy'));
  });
});
