import { randomUUID } from 'node:crypto';
import type { BrokerConfig } from './config.js';
import { OAuthError } from './errors.js';
import { newSecret, userKey } from './flow.js';
import type { TokenSigner } from './signer.js';
import { digest, type AuthzStore } from './store.js';
import type { UpstreamIdentity } from './upstream.js';

/** What a refresh token stands for. Stored under the token's digest; the token itself is never stored. */
interface RefreshGrant {
  readonly familyId: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly user: UpstreamIdentity;
  /** Epoch seconds the family ends, whatever the rotations. */
  readonly familyExpiresAt: number;
}

interface Family {
  readonly revoked: boolean;
}

/** The partition that lists the refresh families of one user and client (`grant` items, sorted by family id). */
function grantsOf(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>, clientId: string): string {
  return `${userKey(user)}.${digest(clientId)}`;
}

/** The token endpoint's success answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
}

/** A grant to turn into tokens: a redeemed code or a rotated refresh token. */
export interface TokenGrant {
  readonly clientId: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly user: UpstreamIdentity;
  readonly refresh: boolean;
}

/**
 * Issues the access tokens (JWT, `aud` = the resource, short-lived) and the refresh tokens (opaque,
 * stored by digest, rotated on every use; a reused one revokes its whole family).
 */
export class TokenIssuer {
  constructor(
    private readonly config: BrokerConfig,
    private readonly store: AuthzStore,
    private readonly signer: TokenSigner,
  ) {}

  async #accessToken(grant: TokenGrant): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return this.signer.sign({
      iss: this.config.issuer,
      sub: grant.user.subject,
      aud: grant.resource,
      iat: now,
      exp: now + this.config.accessTokenSeconds,
      jti: randomUUID(),
      client_id: grant.clientId,
      scope: grant.scopes.join(' '),
      groups: [...grant.user.groups],
      idp: grant.user.issuer,
    });
  }

  async #refreshToken(grant: TokenGrant, familyId: string, familyExpiresAt: number): Promise<string> {
    const token = newSecret();
    const record: RefreshGrant = { familyId, clientId: grant.clientId, scopes: grant.scopes, resource: grant.resource, user: grant.user, familyExpiresAt };
    await this.store.put('refresh', digest(token), record, familyExpiresAt);
    return token;
  }

  /**
   * Tokens for an authorization code: a new refresh family when the client may refresh. The access
   * token is signed before `redeem` spends the code, so a signing failure spends nothing.
   *
   * @param redeem - spends the code atomically; false when another request spent it first.
   * @throws SigningUnavailableError when the token cannot be signed; OAuthError `invalid_grant` when the code was spent meanwhile.
   */
  async issue(grant: TokenGrant, redeem: () => Promise<boolean>): Promise<TokenResponse> {
    const accessToken = await this.#accessToken(grant);
    if (!(await redeem())) throw new OAuthError('invalid_grant', 'the code is not valid');
    const response: TokenResponse = {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.config.accessTokenSeconds,
      scope: grant.scopes.join(' '),
    };
    if (!grant.refresh) return response;
    const familyId = newSecret();
    const familyExpiresAt = this.store.expiry(this.config.refreshTokenSeconds);
    await this.store.put('family', familyId, { revoked: false } satisfies Family, familyExpiresAt);
    await this.store.put('grant', grantsOf(grant.user, grant.clientId), { familyExpiresAt }, familyExpiresAt, { sort: familyId });
    return { ...response, refresh_token: await this.#refreshToken(grant, familyId, familyExpiresAt) };
  }

  /**
   * Rotates a refresh token: the presented one is marked used and a new one of the same family is
   * issued. The access token is signed before the mark, so a signing failure consumes nothing. A token presented a second time revokes the family, so neither the thief nor the
   * client can go on with it.
   *
   * @param stillConsented - whether the user's consent for the client still stands (revoked consent ends refreshing).
   * @throws OAuthError `invalid_grant` for an unknown, used, revoked, foreign or expired token; `invalid_target` for another resource.
   */
  async rotate(token: string, clientId: string, resource: string | undefined, stillConsented: (user: UpstreamIdentity, clientId: string) => Promise<boolean>): Promise<TokenResponse> {
    if (token.length > 512) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    const id = digest(token);
    const current = await this.store.get<RefreshGrant>('refresh', id);
    if (!current || current.clientId !== clientId) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    if (resource !== undefined && resource !== current.resource) throw new OAuthError('invalid_target', 'the refresh token was not issued for this resource');
    const family = await this.store.get<Family>('family', current.familyId);
    if (!family || family.revoked) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    if (!(await stillConsented(current.user, clientId))) throw new OAuthError('invalid_grant', 'the consent for this client was revoked');
    const grant: TokenGrant = { clientId, scopes: current.scopes, resource: current.resource, user: current.user, refresh: true };
    // Signed before the presented token is marked used: a signing failure (503) leaves it valid.
    const accessToken = await this.#accessToken(grant);
    const marked = await this.store.markUsed<RefreshGrant>('refresh', id);
    if (marked === 'used') {
      await this.store.put('family', current.familyId, { revoked: true } satisfies Family, current.familyExpiresAt);
      throw new OAuthError('invalid_grant', 'the refresh token was already used; its sign-in is revoked');
    }
    if (!marked) throw new OAuthError('invalid_grant', 'the refresh token is not valid');
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: this.config.accessTokenSeconds,
      scope: grant.scopes.join(' '),
      refresh_token: await this.#refreshToken(grant, current.familyId, current.familyExpiresAt),
    };
  }

  /** Revokes the family of a refresh token of `clientId` (RFC 7009: unknown tokens are not an error). */
  async revoke(token: string, clientId: string): Promise<void> {
    if (token.length > 512) return;
    const current = await this.store.get<RefreshGrant>('refresh', digest(token));
    if (!current || current.clientId !== clientId) return;
    await this.store.put('family', current.familyId, { revoked: true } satisfies Family, current.familyExpiresAt);
  }

  /**
   * Revokes every refresh family of `user` for `clientId` (the user revoked the client's consent):
   * none of its refresh tokens works again, even if the user later allows the client anew. Access
   * tokens already issued stay valid until they expire (`accessTokenSeconds`).
   *
   * @returns how many families were revoked.
   */
  async revokeAllOf(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>, clientId: string): Promise<number> {
    const partition = grantsOf(user, clientId);
    const families = await this.store.list<{ familyExpiresAt: number }>('grant', partition);
    for (const { sort: familyId, data } of families) {
      await this.store.put('family', familyId, { revoked: true } satisfies Family, data.familyExpiresAt);
      await this.store.remove('grant', partition, familyId);
    }
    return families.length;
  }
}
