import { createHash, randomBytes } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { BrokerConfig } from './config.js';
import { OAuthError } from './errors.js';

/** What the broker keeps of an upstream sign-in: the user, never the upstream tokens. */
export interface UpstreamIdentity {
  /** The identity provider's issuer. */
  readonly issuer: string;
  readonly subject: string;
  readonly groups: readonly string[];
  /** A display name for the consent page (`email`, `preferred_username`, `name` or the subject). */
  readonly name: string;
}

/** The per-flow secrets of the upstream leg, stored with the pending authorization. */
export interface UpstreamLeg {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
}

interface Discovery {
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
}

const TIMEOUT_MS = 5000;

function stringList(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string').slice(0, 200);
  if (typeof value === 'string') return value.split(/[ ,]/).filter((item) => item.length > 0).slice(0, 200);
  return [];
}

/**
 * The broker as one confidential OIDC client of the enterprise identity provider: authorization
 * code with PKCE S256, `state` and `nonce`; the ID token verified against the provider's JWKS.
 * The provider's metadata is discovered once and kept.
 */
export class UpstreamClient {
  readonly #config: BrokerConfig['upstream'];
  readonly #redirectUri: string;
  #discovery: Promise<Discovery> | undefined;
  #keys: JWTVerifyGetKey | undefined;

  constructor(config: BrokerConfig['upstream'], redirectUri: string) {
    this.#config = config;
    this.#redirectUri = redirectUri;
  }

  #discover(): Promise<Discovery> {
    this.#discovery ??= (async () => {
      const url = `${this.#config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
      const response = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
      if (!response.ok) throw new Error(`upstream discovery answered ${response.status}`);
      const metadata = (await response.json()) as Partial<Discovery> & { issuer?: unknown };
      if (metadata.issuer !== this.#config.issuer) throw new Error('upstream discovery names another issuer');
      for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
        if (typeof metadata[field] !== 'string') throw new Error(`upstream discovery lacks ${field}`);
      }
      return metadata as Discovery;
    })().catch((error: unknown) => {
      this.#discovery = undefined;
      throw new OAuthError('temporarily_unavailable', 'the identity provider cannot be reached', { cause: error });
    });
    return this.#discovery;
  }

  /** New per-flow secrets. */
  newLeg(): UpstreamLeg {
    return { state: randomBytes(32).toString('base64url'), nonce: randomBytes(32).toString('base64url'), verifier: randomBytes(32).toString('base64url') };
  }

  /** The URL that sends the browser to the identity provider's sign-in. */
  async authorizationUrl(leg: UpstreamLeg): Promise<string> {
    const discovery = await this.#discover();
    const url = new URL(discovery.authorization_endpoint);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.#config.clientId);
    url.searchParams.set('redirect_uri', this.#redirectUri);
    url.searchParams.set('scope', this.#config.scopes.join(' '));
    url.searchParams.set('state', leg.state);
    url.searchParams.set('nonce', leg.nonce);
    url.searchParams.set('code_challenge', createHash('sha256').update(leg.verifier).digest('base64url'));
    url.searchParams.set('code_challenge_method', 'S256');
    return url.href;
  }

  /**
   * Redeems the upstream code and verifies the ID token (issuer, audience, nonce, expiry).
   * The upstream access and refresh tokens are dropped here: they never leave this function.
   *
   * @throws OAuthError `access_denied` when the provider refuses, `temporarily_unavailable` when it cannot be reached.
   */
  async redeem(code: string, leg: UpstreamLeg): Promise<UpstreamIdentity> {
    const discovery = await this.#discover();
    let body: { id_token?: unknown };
    try {
      const response = await fetch(discovery.token_endpoint, {
        method: 'POST',
        redirect: 'error',
        signal: AbortSignal.timeout(TIMEOUT_MS),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(this.#config.clientId)}:${encodeURIComponent(this.#config.clientSecret)}`).toString('base64')}`,
        },
        body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: this.#redirectUri, code_verifier: leg.verifier }),
      });
      if (response.status >= 500) throw new Error(`upstream token endpoint answered ${response.status}`);
      body = (await response.json()) as { id_token?: unknown };
      if (!response.ok) throw new OAuthError('access_denied', 'the identity provider did not complete the sign-in');
    } catch (error) {
      if (error instanceof OAuthError) throw error;
      throw new OAuthError('temporarily_unavailable', 'the identity provider cannot be reached', { cause: error });
    }
    if (typeof body.id_token !== 'string') throw new OAuthError('access_denied', 'the identity provider did not return an ID token');
    this.#keys ??= createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: TIMEOUT_MS });
    let payload;
    try {
      ({ payload } = await jwtVerify(body.id_token, this.#keys, { issuer: this.#config.issuer, audience: this.#config.clientId, requiredClaims: ['sub', 'exp', 'iat'] }));
    } catch (error) {
      throw new OAuthError('access_denied', 'the identity provider returned an ID token that does not verify', { cause: error });
    }
    if (payload.nonce !== leg.nonce) throw new OAuthError('access_denied', 'the identity provider returned an ID token for another sign-in');
    const claims = payload as Record<string, unknown>;
    const name = [claims.email, claims.preferred_username, claims.name, claims['cognito:username']].find(
      (value): value is string => typeof value === 'string' && value.length > 0,
    );
    return {
      issuer: this.#config.issuer,
      subject: payload.sub!,
      groups: [...new Set(stringList(claims.groups ?? claims['cognito:groups']))],
      name: (name ?? payload.sub!).slice(0, 200),
    };
  }
}
