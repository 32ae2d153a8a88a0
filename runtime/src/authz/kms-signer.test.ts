import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JWK } from 'jose';
import { createKmsSigner, createSigningClient, KMS_RAW_MESSAGE_LIMIT } from './kms-signer.js';
import { SigningUnavailableError } from './signer.js';
import { KmsFaultProxy, MOTO_CREDENTIALS, MotoKms, motoSkipReason } from './test-kms.js';

const PRIMARY = 'us-east-1';
const REPLICA = 'eu-west-1';
const CLAIMS = { iss: 'https://mcp.example.com', aud: 'https://mcp.example.com/mcp', sub: 'alice', scope: 'mcp:identity.read', groups: ['staff'] };

async function verifies(token: string, keys: readonly JWK[]): Promise<boolean> {
  try {
    await jwtVerify(token, createLocalJWKSet({ keys: [...keys] }), { algorithms: ['ES256'], typ: 'at+jwt', issuer: CLAIMS.iss, audience: CLAIMS.aud });
    return true;
  } catch {
    return false;
  }
}

describe('KMS token signer (moto_server on loopback)', { skip: motoSkipReason() }, () => {
  let moto: MotoKms;
  let proxy: KmsFaultProxy;
  let arns: Record<string, string>;
  const clients: { destroy(): void }[] = [];
  const client = (region: string, endpoint?: string) => {
    const made = createSigningClient({ region, endpoint: endpoint ?? moto.endpoint, credentials: MOTO_CREDENTIALS });
    clients.push(made);
    return made;
  };

  before(async () => {
    moto = await MotoKms.start();
    proxy = await new KmsFaultProxy(moto.endpoint).start();
    arns = await moto.multiRegionKey(PRIMARY, [REPLICA], 'alias/token-signing');
  });
  after(async () => {
    for (const made of clients) made.destroy();
    await proxy?.stop();
    moto?.stop();
  });

  test('the primary and its replica publish the same public key under the same kid (its JWK thumbprint), though their ARNs differ', async () => {
    assert.notEqual(arns[PRIMARY], arns[REPLICA]);
    assert.equal(arns[PRIMARY]!.split('/').pop(), arns[REPLICA]!.split('/').pop(), 'replicas share the mrk- key id');
    assert.match(arns[PRIMARY]!, /:key\/mrk-/);
    const primary = await createKmsSigner({ client: client(PRIMARY), keyId: arns[PRIMARY]! });
    const replica = await createKmsSigner({ client: client(REPLICA), keyId: 'alias/token-signing' });
    assert.equal(primary.publicJwks.length, 1);
    assert.deepEqual(replica.publicJwks, primary.publicJwks);
    const [jwk] = primary.publicJwks;
    assert.deepEqual([jwk!.kty, jwk!.crv, jwk!.alg, jwk!.use, 'd' in jwk!], ['EC', 'P-256', 'ES256', 'sig', false]);
    assert.equal(jwk!.kid, await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: jwk!.x!, y: jwk!.y! }, 'sha256'));
  });

  test('a token signed in one region verifies with the other region\'s keys, both ways; its header is ES256, at+jwt and the kid', async () => {
    const primary = await createKmsSigner({ client: client(PRIMARY), keyId: arns[PRIMARY]! });
    const replica = await createKmsSigner({ client: client(REPLICA), keyId: arns[REPLICA]! });
    const now = Math.floor(Date.now() / 1000);
    const fromPrimary = await primary.sign({ ...CLAIMS, iat: now, exp: now + 600 });
    const fromReplica = await replica.sign({ ...CLAIMS, iat: now, exp: now + 600 });
    assert.deepEqual(decodeProtectedHeader(fromPrimary), { alg: 'ES256', typ: 'at+jwt', kid: primary.publicJwks[0]!.kid });
    assert.ok(await verifies(fromPrimary, replica.publicJwks));
    assert.ok(await verifies(fromReplica, primary.publicJwks));
    const [head, body] = fromPrimary.split('.');
    const tampered = `${head}.${Buffer.from(JSON.stringify({ ...CLAIMS, sub: 'mallory', iat: now, exp: now + 600 })).toString('base64url')}.${fromPrimary.split('.')[2]}`;
    assert.notEqual(body, tampered.split('.')[1]);
    assert.equal(await verifies(tampered, replica.publicJwks), false, 'the signature covers the claims');
  });

  test('rotation: each key\'s signer also publishes the other key, so tokens of either verify everywhere during the overlap', async () => {
    const next = await moto.multiRegionKey(PRIMARY, []);
    const old = await createKmsSigner({ client: client(PRIMARY), keyId: arns[PRIMARY]!, verifyKeyIds: [next[PRIMARY]!, arns[PRIMARY]!] });
    const current = await createKmsSigner({ client: client(PRIMARY), keyId: next[PRIMARY]!, verifyKeyIds: [arns[PRIMARY]!] });
    assert.equal(old.publicJwks.length, 2, 'a verify key naming the signing key is listed once');
    assert.deepEqual(old.publicJwks.map((jwk) => jwk.kid), [...current.publicJwks.map((jwk) => jwk.kid)].reverse(), 'the signing key comes first');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(await verifies(await current.sign({ ...CLAIMS, iat: now, exp: now + 60 }), old.publicJwks));
    assert.ok(await verifies(await old.sign({ ...CLAIMS, iat: now, exp: now + 60 }), current.publicJwks));
    const alone = await createKmsSigner({ client: client(PRIMARY), keyId: next[PRIMARY]! });
    assert.equal(await verifies(await old.sign({ ...CLAIMS, iat: now, exp: now + 60 }), alone.publicJwks), false, 'without the overlap the old key\'s tokens fail');
  });

  test('a key that is missing, symmetric, RSA or for encryption is refused when the signer is made, naming the key', async () => {
    const kms = client(PRIMARY);
    const symmetric = (await kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.Arn!;
    const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    const p384 = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!.Arn!;
    for (const keyId of [symmetric, rsa, p384, 'alias/missing']) {
      await assert.rejects(createKmsSigner({ client: kms, keyId }), (error: Error) => error.message.includes(keyId), keyId);
    }
    await assert.rejects(createKmsSigner({ client: kms, keyId: arns[PRIMARY]!, verifyKeyIds: [rsa] }), (error: Error) => error.message.includes(rsa));
  });

  test('throttling (answered by the fault proxy, as KMS does under its quota) is retried by the SDK, then fails as SigningUnavailableError', async () => {
    const signer = await createKmsSigner({ client: client(PRIMARY, proxy.endpoint), keyId: arns[PRIMARY]! });
    proxy.throttleSign = true;
    proxy.throttled = 0;
    try {
      await assert.rejects(signer.sign({ ...CLAIMS }), (error: unknown) => error instanceof SigningUnavailableError && /ThrottlingException/.test(error.message));
      assert.equal(proxy.throttled, 3, 'three attempts');
    } finally {
      proxy.throttleSign = false;
    }
    const now = Math.floor(Date.now() / 1000);
    assert.ok(await verifies(await signer.sign({ ...CLAIMS, iat: now, exp: now + 60 }), signer.publicJwks), 'signs again once KMS answers');
  });

  test('an unreachable KMS fails a signature as SigningUnavailableError', async () => {
    const doomed = await new KmsFaultProxy(moto.endpoint).start();
    const signer = await createKmsSigner({ client: client(PRIMARY, doomed.endpoint), keyId: arns[PRIMARY]! });
    await doomed.stop();
    await assert.rejects(signer.sign({ ...CLAIMS }), (error: unknown) => error instanceof SigningUnavailableError && error.message.startsWith('KMS Sign failed'));
  });

  test(`a signing input over ${KMS_RAW_MESSAGE_LIMIT} bytes is sent as its SHA-256 digest; a signature that does not verify is never returned`, async () => {
    const signer = await createKmsSigner({ client: client(PRIMARY, proxy.endpoint), keyId: arns[PRIMARY]! });
    const seen: { MessageType?: string; Message?: string }[] = [];
    proxy.onSign = (body) => seen.push(JSON.parse(body) as { MessageType?: string; Message?: string });
    try {
      const now = Math.floor(Date.now() / 1000);
      const small = { ...CLAIMS, iat: now, exp: now + 60 };
      assert.ok(await verifies(await signer.sign(small), signer.publicJwks));
      const large = { ...small, groups: Array.from({ length: 200 }, (_, index) => `group-with-a-long-enterprise-name-${index}`) };
      // moto 5.2.1 ignores MessageType and signs the digest as if it were the message, so here the
      // check before the token leaves refuses the answer; real KMS signs the digest itself.
      await assert.rejects(signer.sign(large), (error: unknown) => error instanceof SigningUnavailableError && /does not verify/.test(error.message));
      assert.equal(seen[0]!.MessageType, 'RAW');
      assert.equal(seen[1]!.MessageType, 'DIGEST');
      const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: signer.publicJwks[0]!.kid })).toString('base64url');
      const input = `${header}.${Buffer.from(JSON.stringify(large)).toString('base64url')}`;
      assert.ok(input.length > KMS_RAW_MESSAGE_LIMIT);
      assert.equal(seen[1]!.Message, createHash('sha256').update(input).digest('base64'));
    } finally {
      proxy.onSign = undefined;
    }
  });
});
