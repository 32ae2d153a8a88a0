import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, KMSClient, SignCommand, type KMSClientConfig } from '@aws-sdk/client-kms';
import { exportJWK, type JWK, type JWTPayload } from 'jose';
import { derToJoseSignature } from './ecdsa-der.js';
import { publishedJwk, SigningUnavailableError, type TokenSigner } from './signer.js';

/** KMS takes a message of at most this many bytes to sign (`MessageType: RAW`); a longer one is sent as its SHA-256 digest. */
export const KMS_RAW_MESSAGE_LIMIT = 4096;

/** How the broker reaches AWS KMS. Every field is optional. */
export interface SigningClientOptions {
  /** @default - the SDK's own resolution (`AWS_REGION`) */
  readonly region?: string;
  /** @default - the SDK's endpoint resolution (`AWS_ENDPOINT_URL_KMS`, `AWS_ENDPOINT_URL`, then the regional endpoint) */
  readonly endpoint?: string;
  /** @default - the SDK's default provider chain (the ECS task role in AWS) */
  readonly credentials?: KMSClientConfig['credentials'];
  /** Attempts per call, the first included (throttling and network errors are retried with jittered backoff). @default 3 */
  readonly maxAttempts?: number;
  /** @default 1000 */
  readonly connectTimeoutMs?: number;
  /** One attempt's limit, request sent to response received. @default 2000 */
  readonly requestTimeoutMs?: number;
}

/** The KMS client of the signer: bounded attempts and short timeouts, so a token request fails fast when KMS cannot answer. */
export function createSigningClient(options: SigningClientOptions = {}): KMSClient {
  const config: KMSClientConfig = {
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: options.connectTimeoutMs ?? 1000, requestTimeout: options.requestTimeoutMs ?? 2000, throwOnRequestTimeout: true },
  };
  if (options.region !== undefined) config.region = options.region;
  if (options.endpoint !== undefined) config.endpoint = options.endpoint;
  if (options.credentials !== undefined) config.credentials = options.credentials;
  return new KMSClient(config);
}

/** A KMS key as the signer uses it: the id it signs with and its public key. */
interface KmsPublicKey {
  /** The key's ARN as KMS resolved it (an alias given in the configuration is resolved once, here). */
  readonly keyId: string;
  readonly key: KeyObject;
  readonly jwk: JWK;
}

/**
 * Reads a KMS key's public key and checks that it is a P-256 signing key (ECC_NIST_P256,
 * SIGN_VERIFY, ECDSA_SHA_256).
 *
 * @throws Error naming the key when it cannot be read or is of another kind.
 */
async function readPublicKey(client: KMSClient, keyId: string): Promise<KmsPublicKey> {
  let out;
  try {
    out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
  } catch (error) {
    throw new Error(`KMS key ${keyId}: GetPublicKey failed (${error instanceof Error ? error.name : 'unknown error'})`, { cause: error });
  }
  const spec = out.KeySpec ?? out.CustomerMasterKeySpec;
  if (spec !== 'ECC_NIST_P256' || out.KeyUsage !== 'SIGN_VERIFY' || !out.SigningAlgorithms?.includes('ECDSA_SHA_256') || !out.PublicKey) {
    throw new Error(`KMS key ${keyId} must be an ECC_NIST_P256 SIGN_VERIFY key (got ${spec ?? 'no key spec'}, ${out.KeyUsage ?? 'no key usage'})`);
  }
  const key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`KMS key ${keyId} has no P-256 public key`);
  return { keyId: out.KeyId ?? keyId, key, jwk: await publishedJwk(await exportJWK(key)) };
}

/** Options of {@link createKmsSigner}. */
export interface KmsSignerOptions {
  readonly client: KMSClient;
  /** The key that signs (`MCP_BROKER_SIGNING_KEY_ID`): key id, key ARN, alias name or alias ARN in the client's region. */
  readonly keyId: string;
  /** Keys that are published and accepted but do not sign (`MCP_BROKER_VERIFY_KEY_IDS`): the old or the new key while keys are rotated. */
  readonly verifyKeyIds?: readonly string[];
}

/**
 * A signer whose private key never leaves AWS KMS: each access token's JWS signing input is signed
 * by KMS `Sign` (ECDSA_SHA_256) with a P-256 key, ideally a multi-Region key, so that every region signs
 * with a replica of the same key material and publishes the same public key under the same `kid`
 * (the JWK thumbprint: replicas share the key id `mrk-…` but not the ARN).
 *
 * The public keys come from `GetPublicKey` once, when the signer is made; an alias is resolved then,
 * so re-pointing it takes effect on the next start, never between the JWKS and a signature. Every
 * signature KMS returns is converted from DER to JOSE and checked against the published key before
 * the token leaves, so a token that the JWKS cannot verify is never issued.
 *
 * @throws Error when a key cannot be read or is not a P-256 signing key (the server does not start).
 */
export async function createKmsSigner(options: KmsSignerOptions): Promise<TokenSigner> {
  const { client } = options;
  const signing = await readPublicKey(client, options.keyId);
  const others = await Promise.all((options.verifyKeyIds ?? []).map((id) => readPublicKey(client, id)));
  // One entry per key material: the signing key first; a verify key naming the same key is dropped.
  const publicJwks = [signing, ...others].map((key) => key.jwk).filter((jwk, index, all) => all.findIndex((other) => other.kid === jwk.kid) === index);
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: signing.jwk.kid })).toString('base64url');

  return {
    algorithm: 'ES256',
    publicJwks,
    async sign(payload: JWTPayload): Promise<string> {
      const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
      const bytes = Buffer.from(input, 'ascii');
      const raw = bytes.length <= KMS_RAW_MESSAGE_LIMIT;
      let der: Uint8Array | undefined;
      try {
        const out = await client.send(
          new SignCommand({
            KeyId: signing.keyId,
            SigningAlgorithm: 'ECDSA_SHA_256',
            MessageType: raw ? 'RAW' : 'DIGEST',
            Message: raw ? bytes : createHash('sha256').update(bytes).digest(),
          }),
        );
        der = out.Signature;
      } catch (error) {
        throw new SigningUnavailableError(`KMS Sign failed (${error instanceof Error ? error.name : 'unknown error'})`, { cause: error });
      }
      let signature: Uint8Array;
      try {
        signature = derToJoseSignature(der ?? new Uint8Array(0));
      } catch (error) {
        throw new SigningUnavailableError('KMS returned a signature that is not DER ECDSA', { cause: error });
      }
      if (!verify('sha256', bytes, { key: signing.key, dsaEncoding: 'ieee-p1363' }, signature)) {
        throw new SigningUnavailableError('KMS returned a signature that the published key does not verify');
      }
      return `${input}.${Buffer.from(signature).toString('base64url')}`;
    },
  };
}
