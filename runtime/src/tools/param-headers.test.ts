import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { mismatchedParamHeader, paramHeadersOf } from './param-headers.js';
import { ToolCatalog } from './registry.js';

const schema = {
  type: 'object',
  properties: {
    region: { type: 'string', 'x-mcp-header': 'Region' },
    count: { type: 'integer', 'x-mcp-header': 'Count' },
    nested: { type: 'object', properties: { flag: { type: 'boolean', 'x-mcp-header': 'Flag' } } },
  },
};

describe('mirrored parameter headers (SEP-2243)', () => {
  test('finds the declarations through properties at any depth', () => {
    assert.deepEqual(paramHeadersOf(schema), [
      { path: ['region'], header: 'Mcp-Param-Region', type: 'string' },
      { path: ['count'], header: 'Mcp-Param-Count', type: 'integer' },
      { path: ['nested', 'flag'], header: 'Mcp-Param-Flag', type: 'boolean' },
    ]);
  });

  test('refuses a declaration the protocol does not allow', () => {
    const bad = [
      { type: 'object', properties: { list: { type: 'array', items: { type: 'string', 'x-mcp-header': 'Item' } } } },
      { type: 'object', properties: { amount: { type: 'number', 'x-mcp-header': 'Amount' } } },
      { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'Bad Name' } } },
      { type: 'object', properties: { a: { type: 'string', 'x-mcp-header': 'Same' }, b: { type: 'string', 'x-mcp-header': 'SAME' } } },
    ];
    for (const inputSchema of bad) assert.throws(() => paramHeadersOf(inputSchema));
  });

  test('a catalog with such a tool refuses to start, naming the tool', () => {
    const tool = {
      name: 'bad_header',
      title: 'Bad',
      description: 'Declares a header on a number.',
      input: z.strictObject({ amount: z.number().max(10).meta({ 'x-mcp-header': 'Amount' }) }),
      access: { scopes: ['mcp:test'] },
      deadlineMs: 1_000,
      concurrencyPerPrincipal: 1,
      outputFilter: { redactPersonalData: true, moderate: false },
      handler: async () => ({ content: [] }),
    };
    assert.throws(() => new ToolCatalog([tool]), /tool "bad_header"/);
  });

  test('the headers must carry what the arguments carry, plain or as canonical base64', () => {
    const declared = paramHeadersOf(schema);
    const args = { region: 'Hello', count: 42, nested: { flag: true } };
    const agreeing = { 'mcp-param-region': '=?base64?SGVsbG8=?=', 'mcp-param-count': '42.0', 'mcp-param-flag': 'true' };
    assert.equal(mismatchedParamHeader(declared, args, agreeing), undefined);
    assert.equal(mismatchedParamHeader(declared, { region: 'SGVsbG8=' }, { 'mcp-param-region': 'SGVsbG8=' }), undefined, 'no wrapper: literal');
    assert.equal(mismatchedParamHeader(declared, {}, {}), undefined, 'absent arguments need no header');
    assert.equal(mismatchedParamHeader(declared, args, { ...agreeing, 'mcp-param-region': '=?base64?SGVsbG8?=' }), 'Mcp-Param-Region', 'bad padding');
    assert.equal(mismatchedParamHeader(declared, args, { ...agreeing, 'mcp-param-region': '=?base64?SGVs!!!bG8=?=' }), 'Mcp-Param-Region', 'bad characters');
    assert.equal(mismatchedParamHeader(declared, args, { ...agreeing, 'mcp-param-count': '41' }), 'Mcp-Param-Count');
    assert.equal(mismatchedParamHeader(declared, args, { 'mcp-param-count': '42', 'mcp-param-flag': 'true' }), 'Mcp-Param-Region', 'missing header');
    assert.equal(mismatchedParamHeader(declared, args, { ...agreeing, 'mcp-param-flag': 'TRUE' }), 'Mcp-Param-Flag');
  });
});
