import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { classifyPost, createRouteClassifier } from './direct-route.js';
import { HOSTILE_MUTATIONS } from './direct-test-support.js';

// Whatever the remembering classifier answers must be what the SDK's classifier answers for the
// same request, before and after the envelope has been seen, for every shape.

const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientInfo': { name: 'test-client', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': {},
};

const ENVELOPES: unknown[] = [
  ENVELOPE,
  { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} }, sampling: {}, roots: { listChanged: true } } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { roots: 5 } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientCapabilities': { roots: { listChanged: 'yes' } } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c' } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1', title: 5 } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1', icons: [{ src: 'https://example.com/i.png' }] } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: Number.NaN } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1', extra: undefined } },
  { ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': Object.assign(new (class Info {})(), { name: 'c', version: '1' }) },
  { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': '2025-11-25' },
  { ...ENVELOPE, 'io.modelcontextprotocol/protocolVersion': 20260728 },
  { ...ENVELOPE, 'io.modelcontextprotocol/logLevel': 'debug' },
  { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {} },
];

const BODIES: Array<(meta: unknown) => Record<string, unknown>> = [
  (meta) => ({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'docs://documents', _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 'p-1', method: 'prompts/get', params: { name: 'summarize_document', arguments: { id: 'x' }, _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { a: 1 }, _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 4, method: 'initialize', params: { _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 5, method: 'resources/read', params: { uri: 5, _meta: meta } }),
  (meta) => ({ jsonrpc: '2.0', id: 6, method: 'resources/read', params: { uri: 'x', extra: { deep: [1, 2] }, _meta: meta } }),
];

function headersFor(body: Record<string, unknown>): Array<Record<string, string>> {
  const base = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': '2026-07-28', 'mcp-method': String(body.method) };
  return [
    base,
    { ...base, 'mcp-method': 'tools/call' === body.method ? 'tools/list' : 'tools/call' },
    { ...base, 'mcp-protocol-version': '2025-11-25' },
    { ...base, 'mcp-protocol-version': ' 2026-07-28 ' },
    (({ 'mcp-method': _m, ...rest }) => rest)(base),
    (({ 'mcp-protocol-version': _v, ...rest }) => rest)(base),
  ];
}

describe('the remembering classifier answers as the SDK classifier does', () => {
  test('every envelope, body, mutation and header set, twice over', () => {
    const routes = createRouteClassifier();
    let remembered = 0;
    for (let pass = 0; pass < 2; pass += 1) {
      for (const meta of ENVELOPES) {
        for (const make of BODIES) {
          for (const mutate of HOSTILE_MUTATIONS) {
            const body = mutate(make(meta)) as Record<string, unknown>;
            for (const headers of headersFor(make(meta))) {
              const mine = routes.classify(body, headers);
              const sdk = classifyPost(body, headers);
              assert.equal(mine.kind, sdk.kind, JSON.stringify({ body, headers }));
              if (mine.kind === 'modern' && sdk.kind === 'modern') {
                assert.equal(mine.messageKind, sdk.messageKind);
                assert.deepEqual(mine.classification, sdk.classification);
                assert.equal(mine.message, sdk.message);
              } else {
                assert.deepEqual(mine, sdk);
              }
              if (pass === 1 && mine.kind === 'modern') remembered += 1;
            }
          }
        }
      }
    }
    assert.ok(remembered > 50, 'plain modern requests are recognised');
  });

  test('an envelope the SDK refused is refused again, never remembered as modern', () => {
    const routes = createRouteClassifier();
    const bad = BODIES[0]!({ ...ENVELOPE, 'io.modelcontextprotocol/clientInfo': { name: 'c' } });
    const headers = headersFor(bad)[0]!;
    for (let round = 0; round < 3; round += 1) assert.equal(routes.classify(bad, headers).kind, 'reject');
  });
});
