import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ClientMetadataResolver, isPublicAddress, type CimdPolicy } from './cimd.js';
import { OAuthError } from './errors.js';
import { DocumentServer } from './test-https.js';

const DEV: CimdPolicy = { allow: [], deny: [], allowLoopback: true };

function refused(error: unknown): boolean {
  return error instanceof OAuthError && error.code === 'invalid_client';
}

describe('client metadata documents (CIMD)', () => {
  const docs = new DocumentServer();
  before(() => docs.start());
  after(() => docs.stop());

  test('a document whose client_id is its URL becomes a client, and is cached within bounds', async () => {
    const url = docs.serve('/good.json', { client_name: 'VS Code' }, { headers: { 'cache-control': 'max-age=60' } });
    const resolver = new ClientMetadataResolver(DEV, { ca: docs.ca });
    const client = await resolver.resolve(url);
    assert.deepEqual([client.kind, client.name, client.redirectUris], ['metadata', 'VS Code', ['http://127.0.0.1:33418/callback']]);
    const before = docs.requests;
    await resolver.resolve(url);
    assert.equal(docs.requests, before, 'served from the cache');
  });

  test('a document that names another client_id, is too large, too slow, redirects or is not JSON is refused', async () => {
    const resolver = new ClientMetadataResolver(DEV, { ca: docs.ca });
    await assert.rejects(resolver.resolve(docs.serve('/other.json', { client_id: 'https://evil.example/client.json' })), refused);
    await assert.rejects(resolver.resolve(docs.serve('/large.json', { client_name: 'x', padding: 'x'.repeat(6000) })), refused);
    docs.routes.set('/slow.json', { hang: true });
    await assert.rejects(resolver.resolve(`${docs.origin}/slow.json`), refused);
    docs.routes.set('/redirect.json', { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' } });
    await assert.rejects(resolver.resolve(`${docs.origin}/redirect.json`), refused);
    docs.routes.set('/text.json', { body: 'not json' });
    await assert.rejects(resolver.resolve(`${docs.origin}/text.json`), refused);
    await assert.rejects(resolver.resolve(docs.serve('/secret.json', { token_endpoint_auth_method: 'client_secret_basic' })), refused);
    await assert.rejects(resolver.resolve(docs.serve('/js.json', { redirect_uris: ['javascript:alert(1)'] })), refused);
  });

  test('outside development, loopback, private and metadata addresses are never fetched', async () => {
    const url = docs.serve('/loop.json');
    const production = new ClientMetadataResolver({ allow: [], deny: [], allowLoopback: false }, { ca: docs.ca });
    const before = docs.requests;
    await assert.rejects(production.resolve(url), refused);
    await assert.rejects(production.resolve('https://localhost/client.json'), refused);
    await assert.rejects(production.resolve('https://10.0.0.1/client.json'), refused);
    await assert.rejects(production.resolve('https://169.254.169.254/latest/meta-data'), refused);
    await assert.rejects(production.resolve('https://[::1]/client.json'), refused);
    assert.equal(docs.requests, before, 'no request was made');
    for (const address of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '::1', 'fe80::1', 'fd00:ec2::254', 'fc00::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', '0.0.0.0']) {
      assert.equal(isPublicAddress(address), false, address);
    }
    assert.equal(isPublicAddress('93.184.216.34'), true);
    assert.equal(isPublicAddress('2606:4700::1111'), true);
  });

  test('only plain https URLs with a path, and the administrators\u2019 allow and deny lists apply', async () => {
    const resolver = new ClientMetadataResolver(DEV, { ca: docs.ca });
    for (const bad of ['http://127.0.0.1/client.json', `${docs.origin}/`, `${docs.origin}/a.json#frag`, 'https://user:pw@example.com/a.json', 'not a url']) {
      await assert.rejects(resolver.resolve(bad), refused, bad);
    }
    const url = docs.serve('/listed.json');
    await assert.rejects(new ClientMetadataResolver({ ...DEV, deny: ['127.0.0.1'] }, { ca: docs.ca }).resolve(url), refused, 'denied host');
    await assert.rejects(new ClientMetadataResolver({ ...DEV, allow: ['vscode.dev'] }, { ca: docs.ca }).resolve(url), refused, 'not on the allow list');
    assert.equal((await new ClientMetadataResolver({ ...DEV, allow: [url] }, { ca: docs.ca }).resolve(url)).clientId, url, 'allowed by exact URL');
  });
});
