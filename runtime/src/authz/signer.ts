import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

/** Signs the authorization server's access tokens and publishes the keys that verify them. */
export interface TokenSigner {
  readonly algorithm: 'ES256';
  /**
   * The public keys, as served at the JWKS endpoint and used by the resource server: the signing
   * key first, then keys that only verify (the previous or next key while keys are rotated).
   */
  readonly publicJwks: readonly JWK[];
  /**
   * A compact JWS of `payload` with `typ: at+jwt` (RFC 9068).
   *
   * @throws SigningUnavailableError when the key cannot be used right now (KMS throttled or unreachable).
   */
  sign(payload: JWTPayload): Promise<string>;
}

/** The signing key cannot be used right now: the token request fails with `temporarily_unavailable`, nothing is consumed. */
export class SigningUnavailableError extends Error {
  override readonly name = 'SigningUnavailableError';
}

/**
 * The public JWK of a P-256 key as the JWKS publishes it: `kid` is the RFC 7638 thumbprint, so
 * every holder of the same key material (every KMS replica, every instance) derives the same one.
 */
export async function publishedJwk(jwk: JWK): Promise<JWK> {
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
  return { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk, 'sha256'), alg: 'ES256', use: 'sig' };
}

/**
 * A signer on a private EC P-256 JWK given as JSON text (`MCP_BROKER_SIGNING_KEY`): for
 * `npm run dev` and tests. A deployment signs in KMS instead (`createKmsSigner`).
 *
 * @throws Error when the text is not a private P-256 JWK.
 */
export async function createLocalSigner(privateJwkText: string): Promise<TokenSigner> {
  let jwk: JWK;
  try {
    jwk = JSON.parse(privateJwkText) as JWK;
  } catch {
    throw new Error('MCP_BROKER_SIGNING_KEY is not JSON');
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw new Error('MCP_BROKER_SIGNING_KEY must be a private EC P-256 JWK');
  const key = await importJWK(jwk, 'ES256');
  const published = await publishedJwk(jwk);
  return {
    algorithm: 'ES256',
    publicJwks: [published],
    sign: (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: published.kid! }).sign(key),
  };
}

/** A new private P-256 JWK as JSON text, for `npm run dev` and tests. */
export async function generateSigningKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}
