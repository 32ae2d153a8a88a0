import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { DEFAULT_TOOLS } from '../src/tools/catalog/index.js';
import { defineTool, type ToolDefinition } from '../src/tools/definition.js';
import { INITIALIZE, post, startKit, type Kit } from './harness.js';

// One hostile, signed-in principal tries to make the instance useless for everyone. For each attack:
// it is reproduced on loopback against the real server, another principal keeps being served while
// it runs, and every in-flight slot is free afterwards.

const whoami = { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

async function session(kit: Kit, sub: string, protocolVersion = '2025-11-25'): Promise<Record<string, string>> {
  const token = await kit.token({ sub });
  const init = await post(kit.url, { ...INITIALIZE, params: { ...INITIALIZE.params, protocolVersion } }, { authorization: `Bearer ${token}` });
  assert.equal(init.status, 200);
  return { authorization: `Bearer ${token}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': protocolVersion };
}

/** Waits (generously) until `check` holds; fails with `message` otherwise. */
async function eventually(check: () => boolean | Promise<boolean>, message: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(message);
}

/** Another principal's requests while an attack runs: each must be served. */
async function servedMeanwhile(kit: Kit, headers: Record<string, string>, count = 5): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    const answer = await post(kit.url, whoami, headers);
    assert.equal(answer.status, 200, 'the other principal is served');
    assert.match(answer.text, /"subject":"bob"/);
  }
}

function allSlotsFree(kit: Kit): void {
  const { slots, limiter } = kit.apps[0]!;
  assert.equal(slots.size, 0, 'no request is still counted in flight');
  assert.equal(slots.principals, 0, 'no principal share is still taken');
  assert.equal(limiter.size, 0, 'no tool slot is still taken');
}

function rawSocket(kit: Kit): Promise<Socket> {
  const { port } = new URL(kit.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

function rawPost(kit: Kit, headers: Record<string, string>, body: string, extra: Record<string, string> = {}): string {
  const { host, pathname } = new URL(kit.url);
  const lines = [
    `POST ${pathname} HTTP/1.1`,
    `host: ${host}`,
    'content-type: application/json',
    'accept: application/json, text/event-stream',
    `content-length: ${Buffer.byteLength(body)}`,
    ...Object.entries({ ...headers, ...extra }).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

const tenLists = JSON.stringify(Array.from({ length: 10 }, (_, index) => ({ jsonrpc: '2.0', id: index + 1, method: 'tools/list' })));

describe('pipelined batches whose answers are never read', () => {
  // 200 pipelined batches of ten tools/list answers (about 10 MB) are more than loopback's socket
  // buffers take, so answers queue in the server behind one another. The rate limit is raised so the
  // whole pipeline is admitted (each message counts against it).
  const PIPELINED = 200;
  const env = { MCP_RATE_LIMIT_PER_MINUTE: '100000' };

  test('the client closes: every request settles and frees its slot', { timeout: 180_000 }, async () => {
    const kit = await startKit({ env });
    try {
      const alice = await session(kit, 'alice', '2025-03-26');
      const bob = await session(kit, 'bob');
      const socket = await rawSocket(kit);
      socket.pause(); // never read a byte of the answers
      socket.write(Array.from({ length: PIPELINED }, () => rawPost(kit, alice, tenLists)).join(''));
      await eventually(() => kit.apps[0]!.slots.size > 0, 'the pipelined requests are admitted');
      await servedMeanwhile(kit, bob);
      socket.destroy();
      await eventually(() => kit.apps[0]!.slots.size === 0, 'every slot comes back after the client closed');
      allSlotsFree(kit);
      await servedMeanwhile(kit, bob, 1);
    } finally {
      await kit.close();
    }
  });

  test('the client keeps the connection open and never reads: the send deadline closes it', { timeout: 180_000 }, async () => {
    const kit = await startKit({ env: { ...env, MCP_SEND_TIMEOUT_SECONDS: '1' } });
    try {
      const alice = await session(kit, 'alice', '2025-03-26');
      const bob = await session(kit, 'bob');
      const socket = await rawSocket(kit);
      socket.pause();
      socket.write(Array.from({ length: PIPELINED }, () => rawPost(kit, alice, tenLists)).join(''));
      await eventually(() => kit.apps[0]!.slots.size > 0, 'the pipelined requests are admitted');
      await servedMeanwhile(kit, bob);
      // Nothing is read, the connection stays open: only the send deadline can give the slots back.
      await eventually(() => kit.apps[0]!.slots.size === 0, 'every slot comes back');
      // The server closed the connection before the client took every answer.
      let received = 0;
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => (received += chunk.length));
      socket.resume();
      await closed;
      const oneAnswer = Buffer.byteLength((await post(kit.url, tenLists, alice)).text);
      assert.ok(received < PIPELINED * oneAnswer, `the server closed the connection after ${received} of at least ${PIPELINED * oneAnswer} bytes`);
      allSlotsFree(kit);
    } finally {
      await kit.close();
    }
  });
});

describe('slow bodies', () => {
  test('one principal holds at most its share of the slots, and a trickled body is cut at its deadline', { timeout: 180_000 }, async () => {
    const kit = await startKit({ env: { MCP_MAX_INFLIGHT: '24', MCP_MAX_INFLIGHT_PER_PRINCIPAL: '8', MCP_BODY_TIMEOUT_SECONDS: '2' } });
    try {
      const alice = await session(kit, 'alice');
      const bob = await session(kit, 'bob');
      const { host, pathname } = new URL(kit.url);
      const sockets = await Promise.all(Array.from({ length: 24 }, () => rawSocket(kit)));
      const answers = sockets.map(
        (socket) =>
          new Promise<string>((resolve) => {
            let text = '';
            socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            socket.on('close', () => resolve(text));
            socket.on('error', () => undefined);
          }),
      );
      const head = [
        `POST ${pathname} HTTP/1.1`,
        `host: ${host}`,
        'content-type: application/json',
        'accept: application/json, text/event-stream',
        'content-length: 1000',
        ...Object.entries(alice).map(([name, value]) => `${name}: ${value}`),
      ].join('\r\n');
      for (const socket of sockets) socket.write(`${head}\r\n\r\n{`); // one byte of a declared 1000
      await eventually(() => kit.apps[0]!.slots.size > 0, 'the slow requests are admitted');
      await servedMeanwhile(kit, bob);
      const statuses = (await Promise.all(answers)).map((text) => Number(text.split(' ', 2)[1]));
      assert.ok(statuses.every((status) => status === 408 || status === 429), `each slow body is refused (got ${statuses.join(',')})`);
      assert.ok(statuses.includes(429), 'past its share, the principal is refused at once');
      assert.ok(statuses.includes(408), 'a body that does not arrive in time is refused');
      await eventually(() => kit.apps[0]!.slots.size === 0, 'every slot comes back');
      allSlotsFree(kit);
      await servedMeanwhile(kit, bob, 1);
    } finally {
      await kit.close();
    }
  });
});

describe('a wide params._meta', () => {
  test('a message whose shape is out of bounds is refused before it is walked', { timeout: 180_000 }, async () => {
    const kit = await startKit();
    try {
      const alice = await session(kit, 'alice');
      const bob = await session(kit, 'bob');
      const meta = Object.fromEntries(Array.from({ length: 88_000 }, (_, index) => [`k${index}`, 1]));
      const wide = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: meta } });
      assert.ok(wide.length < kit.config.http.maxBodyBytes);
      const deep = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: JSON.parse('{"a":'.repeat(70) + '1' + '}'.repeat(70)) } });
      const longString = JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'tools/list', params: { _meta: { note: 'x'.repeat(300 * 1024) } } });
      const attacks = Promise.all(
        Array.from({ length: 6 }, async (_, index) => {
          const answer = await post(kit.url, [wide, deep, longString][index % 3]!, alice);
          assert.equal(answer.status, 400);
          const body = answer.json() as { error: { code: number; message: string } };
          assert.equal(body.error.code, -32600);
          assert.ok(!answer.text.includes('k1') && !answer.text.includes('xxxx'), 'nothing of the message is echoed');
        }),
      );
      await servedMeanwhile(kit, bob);
      await attacks;
      // A message inside the bounds is served as before.
      assert.equal((await post(kit.url, { ...whoami, params: { ...whoami.params, _meta: { progressToken: 1 } } }, alice)).status, 200);
      await eventually(() => kit.apps[0]!.slots.size === 0, 'every slot comes back');
      allSlotsFree(kit);
    } finally {
      await kit.close();
    }
  });
});

describe('batches', () => {
  const lists = (count: number) => Array.from({ length: count }, (_, index) => ({ jsonrpc: '2.0', id: index + 1, method: 'tools/list' }));

  test('refused where the negotiated revision has none, capped where it has them', { timeout: 180_000 }, async () => {
    const kit = await startKit({ env: { MCP_MAX_BATCH: '4' } });
    try {
      for (const version of ['2025-06-18', '2025-11-25']) {
        const headers = await session(kit, `user-${version}`, version);
        const refused = await post(kit.url, lists(2), headers);
        assert.equal(refused.status, 400, `no batches in ${version}`);
        assert.equal((refused.json() as { error: { code: number } }).error.code, -32600);
        // The negotiated revision decides, not a header the client may leave out.
        const withoutHeader = { ...headers };
        delete withoutHeader['mcp-protocol-version'];
        assert.equal((await post(kit.url, lists(2), withoutHeader)).status, 400);
      }
      const modern = await post(kit.url, lists(2), { authorization: `Bearer ${await kit.token({ sub: 'carol' })}`, 'mcp-protocol-version': '2026-07-28' });
      assert.equal(modern.status, 400, 'no batches in 2026-07-28');

      const alice = await session(kit, 'alice', '2025-03-26');
      const allowed = await post(kit.url, lists(4), alice);
      assert.equal(allowed.status, 200, 'a batch within the cap is served in 2025-03-26');
      assert.equal(allowed.text.match(/"tools":/g)?.length, 4, 'every message is answered');
      assert.equal((await post(kit.url, lists(5), alice)).status, 400, 'a batch over the cap is refused');
      assert.equal((await post(kit.url, [], alice)).status, 400, 'an empty batch is refused');
      allSlotsFree(kit);
    } finally {
      await kit.close();
    }
  });

  test('every message counts against the rate limit and the per-tool pre-check', { timeout: 180_000 }, async () => {
    const kit = await startKit({ env: { MCP_RATE_LIMIT_PER_MINUTE: '10', MCP_MAX_BATCH: '10' } });
    try {
      const alice = await session(kit, 'alice', '2025-03-26'); // initialize: 1 of 10
      assert.equal((await post(kit.url, lists(5), alice)).status, 200); // 6 of 10
      const over = await post(kit.url, lists(5), alice); // would be 11: refused, the request itself counted (7 of 10)
      assert.equal(over.status, 429, 'a batch that would pass the limit is refused');
      assert.ok(Number(over.headers.get('retry-after')) >= 1);
      assert.equal((await post(kit.url, lists(3), alice)).status, 200, 'what fits is still served'); // 10 of 10
      assert.equal((await post(kit.url, lists(1), alice)).status, 429);

      const bob = await session(kit, 'bob', '2025-03-26');
      // generate_report allows 2 concurrent calls per principal: a batch of 3 is refused at the pre-check.
      const reports = Array.from({ length: 3 }, (_, index) => ({ jsonrpc: '2.0', id: index + 1, method: 'tools/call', params: { name: 'generate_report', arguments: { seconds: 0 } } }));
      const limit = DEFAULT_TOOLS.find((tool) => tool.name === 'generate_report')!.concurrencyPerPrincipal;
      const refused = await post(kit.url, Array.from({ length: limit + 1 }, (_, index) => reports[index % 3]!), bob);
      assert.equal(refused.status, 429, 'more calls of one tool than its slots are refused');
      assert.equal((await post(kit.url, reports.slice(0, limit), bob)).status, 200);
      allSlotsFree(kit);
    } finally {
      await kit.close();
    }
  });
});

describe('health tells the truth', () => {
  let release: () => void = () => undefined;
  const hold = defineTool({
    name: 'hold_slot',
    title: 'Holds',
    description: 'Waits until the test lets it go.',
    input: z.strictObject({}),
    access: { scopes: ['mcp:test.run'] },
    deadlineMs: 60_000,
    concurrencyPerPrincipal: 4,
    outputFilter: { redactPersonalData: false, moderate: false },
    handler: async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return { content: [{ type: 'text', text: 'released' }] };
    },
  });
  const block = defineTool({
    name: 'block_loop',
    title: 'Blocks the event loop',
    description: 'Busy-waits for the given time.',
    input: z.strictObject({ ms: z.number().int().min(0).max(5_000) }),
    access: { scopes: ['mcp:test.run'] },
    deadlineMs: 10_000,
    concurrencyPerPrincipal: 1,
    outputFilter: { redactPersonalData: false, moderate: false },
    handler: async ({ ms }) => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // a handler that hogs the event loop, as a CPU-heavy request would
      }
      return { content: [{ type: 'text', text: 'done' }] };
    },
  });
  const tools = [...DEFAULT_TOOLS, hold, block] as ToolDefinition[];
  const call = (name: string, args: Record<string, unknown> = {}) => ({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name, arguments: args } });
  const health = async (kit: Kit, path: string) => (await fetch(new URL(path, kit.url))).status;

  test('/healthz and /readyz fail while every slot is taken, and recover', { timeout: 180_000 }, async () => {
    const kit = await startKit({ tools, env: { MCP_MAX_INFLIGHT: '1', MCP_HEALTH_SATURATED_SECONDS: '0' } });
    try {
      const alice = await session(kit, 'alice');
      assert.equal(await health(kit, '/healthz'), 200);
      const held = post(kit.url, call('hold_slot'), alice);
      await eventually(() => kit.apps[0]!.slots.size === 1, 'the call holds the only slot');
      assert.equal(await health(kit, '/healthz'), 503, 'an instance with no free slot is not healthy');
      assert.equal(await health(kit, '/readyz'), 503, 'nor ready');
      release();
      assert.equal((await held).status, 200);
      await eventually(async () => (await health(kit, '/healthz')) === 200, 'healthy again once a slot is free');
      allSlotsFree(kit);
    } finally {
      await kit.close();
    }
  });

  test('/healthz fails after the event loop stalled', { timeout: 180_000 }, async () => {
    const kit = await startKit({ tools, env: { MCP_HEALTH_MAX_LOOP_DELAY_MS: '300' } });
    try {
      const alice = await session(kit, 'alice');
      assert.equal((await post(kit.url, call('block_loop', { ms: 1_500 }), alice)).status, 200);
      assert.equal(await health(kit, '/healthz'), 503, 'a stalled event loop is reported');
      assert.equal(await health(kit, '/readyz'), 503);
    } finally {
      await kit.close();
    }
  });

  test('/readyz reads the store at most once per few seconds, however often it is asked', { timeout: 180_000 }, async () => {
    const kit = await startKit();
    try {
      const store = kit.apps[0]!.sessions;
      const ping = store.ping.bind(store);
      let reads = 0;
      // Counts the real readiness reads (each still goes to dynalite).
      store.ping = () => {
        reads += 1;
        return ping();
      };
      const started = Date.now();
      const statuses = await Promise.all(Array.from({ length: 50 }, () => health(kit, '/readyz')));
      for (let index = 0; index < 50; index += 1) statuses.push(await health(kit, '/readyz'));
      const periods = Math.ceil((Date.now() - started) / 5_000);
      assert.ok(statuses.every((status) => status === 200));
      assert.ok(reads >= 1 && reads <= periods + 1, `100 readiness answers over ${periods} cache periods cost ${reads} store reads`);
    } finally {
      await kit.close();
    }
  });
});
