/**
 * The authenticated caller of one request, derived from a verified access token.
 * It never holds the token itself.
 */
export interface Principal {
  /** Exact `iss` of the token. */
  readonly issuer: string;
  /** `sub` of the token. Together with `issuer` it identifies the owner of sessions and state. */
  readonly subject: string;
  /** OAuth client the token was issued to (`client_id`, `azp` or Cognito `client_id`). */
  readonly clientId: string;
  /** Granted scopes, de-duplicated. */
  readonly scopes: readonly string[];
  /** Groups (`groups` or `cognito:groups`), de-duplicated. */
  readonly groups: readonly string[];
  /** Token expiry, seconds since the epoch. */
  readonly expiresAt: number;
}

/** The owner key under which sessions, handles and user state are stored: `<issuer>|<subject>`. */
export function ownerKey(principal: Pick<Principal, 'issuer' | 'subject'>): string {
  return `${principal.issuer}|${principal.subject}`;
}
