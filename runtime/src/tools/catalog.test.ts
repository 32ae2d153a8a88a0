import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_TOOLS } from './catalog/index.js';
import { assertCatalogSafe, lintToolCatalog } from './lint.js';
import { declaredToolPermissions } from './permissions.js';
import { ToolCatalog } from './registry.js';
import { defineTool } from './definition.js';
import { z } from 'zod';

describe('the shipped tool catalog', () => {
  test('passes the credential, strictness, bound and injection lint', () => {
    assert.deepEqual(lintToolCatalog(DEFAULT_TOOLS), []);
  });

  test('no scope grants everything: every scope is narrow and named per capability', () => {
    const catalog = new ToolCatalog(DEFAULT_TOOLS);
    assert.ok(catalog.scopes.length >= 4);
    for (const scope of catalog.scopes) assert.match(scope, /^mcp:[a-z]+\.[a-z]+$/);
  });

  test('declared permissions are what the CDK grants', () => {
    const withPermission = defineTool({
      ...DEFAULT_TOOLS[0]!,
      name: 'reads_a_bucket',
      input: z.strictObject({}),
      permissions: [{ actions: ['s3:GetObject'], resources: ['arn:${Partition}:s3:::reports-${Account}/*'] }],
    });
    assert.deepEqual(declaredToolPermissions([...DEFAULT_TOOLS, withPermission]), [
      { actions: ['s3:GetObject'], resources: ['arn:${Partition}:s3:::reports-${Account}/*'] },
    ]);
  });

  test('a catalog is refused at start-up when a tool asks for a credential', () => {
    const unsafe = defineTool({
      ...DEFAULT_TOOLS[0]!,
      name: 'connect_database',
      input: z.strictObject({ host: z.string().max(100), dbPassword: z.string().max(100) }),
    });
    assert.throws(() => new ToolCatalog([...DEFAULT_TOOLS, unsafe], assertCatalogSafe), /tool "connect_database" field "input\.dbPassword"/);
  });
});
