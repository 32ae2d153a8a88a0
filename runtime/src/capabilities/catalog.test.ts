import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { z } from 'zod';
import { redactToolResult } from '../filters/index.js';
import { assertCatalogSafe } from '../tools/lint.js';
import { declaredToolPermissions } from '../tools/permissions.js';
import { DEFAULT_CAPABILITIES } from './bundled/index.js';
import { CapabilityCatalog } from './catalog.js';
import { wireContentBlock } from './content.js';
import { definePrompt, defineResourceTemplate } from './definition.js';

const PRINCIPAL = { subject: 's', clientId: 'c', scopes: ['mcp:docs.search'], groups: ['staff'], expiresAt: 0 } as never;
const CONTROLS = { access: { scopes: ['mcp:docs.search'] }, deadlineMs: 1_000, concurrencyPerPrincipal: 1, outputFilter: { redactPersonalData: true, moderate: false } } as const;

describe('CapabilityCatalog', () => {
  test('the shipped resources, templates and prompts pass the start-up lint', () => {
    assert.doesNotThrow(() => new CapabilityCatalog(DEFAULT_CAPABILITIES, assertCatalogSafe));
  });

  test('refuses at start-up a prompt argument that asks for a credential', () => {
    const unsafe = definePrompt({
      name: 'connect_prompt',
      title: 'Connect',
      description: 'Connects.',
      arguments: z.strictObject({ apiKey: z.string().max(64) }),
      ...CONTROLS,
      get: async () => ({ messages: [] }),
    });
    assert.throws(() => new CapabilityCatalog({ prompts: [unsafe] }, assertCatalogSafe), /"connect_prompt" field "input\.apiKey" \(credential-parameter\)/);
  });

  test('refuses a template variable that is unbounded, and a template whose arguments differ from its variables', () => {
    const unbounded = defineResourceTemplate({
      uriTemplate: 'x://items/{id}',
      name: 'items',
      title: 'Items',
      description: 'Items.',
      mimeType: 'text/plain',
      arguments: z.strictObject({ id: z.string() }),
      ...CONTROLS,
      read: async () => [],
    });
    assert.throws(() => new CapabilityCatalog({ templates: [unbounded] }, assertCatalogSafe), /string-unbounded/);
    const mismatched = { ...unbounded, arguments: z.strictObject({ other: z.string().max(10) }) } as unknown as typeof unbounded;
    assert.throws(() => new CapabilityCatalog({ templates: [mismatched] }), /must declare exactly its URI variables/);
  });

  test('the policy decides discovery and lookup alike: a hidden resource resolves like a missing one', () => {
    const catalog = new CapabilityCatalog(DEFAULT_CAPABILITIES);
    assert.equal(catalog.findResource(PRINCIPAL, 'docs://runbooks/incident-response'), undefined);
    assert.equal(catalog.findResource(PRINCIPAL, 'docs://nothing'), undefined);
    assert.ok(!catalog.listResources(PRINCIPAL).some((resource) => resource.uri === 'docs://runbooks/incident-response'));
    const operator = { ...(PRINCIPAL as object), groups: ['operators'] } as never;
    assert.equal(catalog.findResource(operator, 'docs://runbooks/incident-response')?.kind, 'resource');
    assert.deepEqual(catalog.findResource(PRINCIPAL, 'docs://documents/travel'), { kind: 'template', definition: DEFAULT_CAPABILITIES.templates![0], variables: { id: 'travel' } });
  });

  test('permissions declared on a resource are granted by the CDK like a tool’s', () => {
    const template = { ...DEFAULT_CAPABILITIES.templates![0]!, permissions: [{ actions: ['s3:GetObject'], resources: ['arn:${Partition}:s3:::docs-${Account}/*'] }] };
    assert.deepEqual(declaredToolPermissions([], { templates: [template] }), [{ actions: ['s3:GetObject'], resources: ['arn:${Partition}:s3:::docs-${Account}/*'] }]);
  });
});

describe('content blocks', () => {
  test('keep only the fields MCP defines, and refuse non-canonical base64 and unknown kinds', () => {
    assert.deepEqual(wireContentBlock({ type: 'text', text: 'hi', extra: 'smuggled' }), { type: 'text', text: 'hi' });
    assert.deepEqual(wireContentBlock({ type: 'image', data: 'AAAA', mimeType: 'image/png' }), { type: 'image', data: 'AAAA', mimeType: 'image/png' });
    assert.equal(wireContentBlock({ type: 'image', data: 'not base64!', mimeType: 'image/png' }), undefined);
    assert.equal(wireContentBlock({ type: 'resource', resource: { uri: 'x://a', mimeType: 'text/plain', text: 't', blob: 'AAAA' } }), undefined);
    assert.equal(wireContentBlock({ type: 'script', text: 'x' }), undefined);
  });

  test('redaction filters every text of a block but leaves base64 payloads intact', () => {
    const { result, redactions } = redactToolResult(
      {
        content: [
          { type: 'image', data: 'QUtJQUlPU0ZPRE5ON0VYQU1QTEU=', mimeType: 'image/png' },
          { type: 'resource', resource: { uri: 'x://doc', mimeType: 'text/plain', text: 'key AKIAIOSFODNN7EXAMPLE' } },
          { type: 'resource_link', uri: 'x://doc', name: 'doc', description: 'mail bob@example.com' },
        ],
      },
      { redactPersonalData: true },
    );
    assert.equal((result.content[0] as { data: string }).data, 'QUtJQUlPU0ZPRE5ON0VYQU1QTEU=');
    assert.ok(!JSON.stringify(result.content.slice(1)).includes('AKIAIOSFODNN7EXAMPLE'));
    assert.ok(!JSON.stringify(result.content).includes('bob@example.com'));
    assert.ok(Object.keys(redactions).length >= 2);
  });
});
