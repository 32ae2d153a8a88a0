import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { INITIALIZE, awayFromMinuteBoundary, post, startKit, type Kit } from './harness.js';

const WHOAMI = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'whoami', arguments: {} } };

async function session(kit: Kit, url: string, sub: string): Promise<Record<string, string>> {
  const token = await kit.token({ sub });
  const init = await post(url, INITIALIZE, { authorization: `Bearer ${token}` });
  assert.equal(init.status, 200);
  return { authorization: `Bearer ${token}`, 'mcp-session-id': init.headers.get('mcp-session-id')!, 'mcp-protocol-version': '2025-11-25' };
}

describe('fleet-wide per-principal rate limit', () => {
  test('holds across two server instances on one store, within one lease of the limit', async () => {
    // 40 per minute: leases of 2 (5 %), so the fleet admits 38 to 40 of a principal's requests.
    const kit = await startKit({ instances: 2, env: { MCP_RATE_LIMIT_PER_MINUTE: '40' } });
    try {
      const urls = kit.apps.map((app) => app.url);
      await awayFromMinuteBoundary();
      const alice = await session(kit, urls[0]!, 'alice');
      const statuses: number[] = [200]; // the initialize above
      for (let i = 0; i < 79; i++) {
        const answer = await post(urls[i % 2]!, WHOAMI, alice);
        statuses.push(answer.status);
        if (answer.status === 429) assert.ok(Number(answer.headers.get('retry-after')) >= 1, 'a refusal says when to retry');
      }
      const admitted = statuses.filter((status) => status === 200).length;
      assert.ok(admitted <= 40, `${admitted} of 80 admitted across two instances; the limit is 40`);
      assert.ok(admitted >= 38, `${admitted} admitted: no more than one lease (2) short of the limit`);
      assert.deepEqual(new Set(statuses), new Set([200, 429]));
      // Each instance alone would have admitted 40: both were serving alice.
      assert.ok(statuses.slice(1).filter((status, i) => status === 200 && i % 2 === 1).length > 5, 'the second instance admitted its share');

      const bob = await session(kit, urls[1]!, 'bob');
      for (const url of urls) assert.equal((await post(url, WHOAMI, bob)).status, 200, 'another principal is served on every instance');
    } finally {
      await kit.close();
    }
  });
});
