import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';

/** Signs the authorization server's access tokens and publishes the key that verifies them. */
export interface TokenSigner {
  readonly algorithm: 'ES256';
  /** The public key, as served at the JWKS endpoint and used by the resource server. */
  readonly publicJwk: JWK;
  /** A compact JWS of `payload` with `typ: at+jwt` (RFC 9068). */
  sign(payload: JWTPayload): Promise<string>;
}

/** The key id of a public JWK: its RFC 7638 thumbprint input hashed, so every holder of the key derives the same one. */
function keyId(jwk: JWK): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

/**
 * A signer on a private EC P-256 JWK given as JSON text (`MCP_BROKER_SIGNING_KEY`).
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
  const publicJwk: JWK = { kty: 'EC', crv: 'P-256', x: jwk.x!, y: jwk.y! };
  const kid = keyId(publicJwk);
  const published: JWK = { ...publicJwk, kid, alg: 'ES256', use: 'sig' };
  return {
    algorithm: 'ES256',
    publicJwk: published,
    sign: (payload) => new SignJWT(payload).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid }).sign(key),
  };
}

/** A new private P-256 JWK as JSON text, for `npm run dev` and tests. */
export async function generateSigningKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}
