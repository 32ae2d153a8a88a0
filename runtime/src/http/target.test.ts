import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rememberedTargets, requestTarget } from './target.js';

describe('requestTarget', () => {
  test('origin and absolute form are read with URL; anything else is refused', () => {
    assert.deepEqual(requestTarget('/mcp'), { path: '/mcp', pathname: '/mcp' });
    assert.deepEqual(requestTarget('/mcp?x=1'), { path: '/mcp?x=1', pathname: '/mcp' });
    assert.deepEqual(requestTarget('/a/%2e%2e/mcp'), { path: '/a/%2e%2e/mcp', pathname: '/mcp' });
    assert.deepEqual(requestTarget('http://evil.example/mcp'), { path: '/mcp', pathname: '/mcp', authority: 'evil.example' });
    assert.equal(requestTarget('//evil.example/mcp')?.authority, undefined, 'a path that looks like an authority stays a path');
    for (const raw of [undefined, '', '*', 'evil.example:443', 'ftp://evil.example/mcp', 'http://user:pw@evil.example/mcp', 'http://[::1/mcp']) {
      assert.equal(requestTarget(raw), undefined, String(raw));
    }
  });

  test('a repeated short path gets the same answer as the first time, from a bounded memory', () => {
    const first = requestTarget('/mcp/../healthz');
    assert.deepEqual(first, { path: '/mcp/../healthz', pathname: '/healthz' });
    assert.deepEqual(requestTarget('/mcp/../healthz'), first);
    assert.throws(() => {
      (requestTarget('/mcp/../healthz') as { pathname: string }).pathname = '/mcp';
    }, TypeError, 'a remembered answer cannot be changed by a caller');
    assert.deepEqual(requestTarget('/mcp/../healthz'), first);
    for (let index = 0; index < 500; index += 1) assert.equal(requestTarget(`/p${index}`)?.pathname, `/p${index}`);
    assert.ok(rememberedTargets() <= 64, `at most 64 remembered (got ${rememberedTargets()})`);
    assert.deepEqual(requestTarget('/mcp/../healthz'), first, 'the same answer once it was dropped from memory');
  });
});
