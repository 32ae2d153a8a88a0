import type { RuntimeConfig } from '../config/index.js';

/** Path of the RFC 9728 metadata for a resource whose URL has a path (`/mcp` → `/.well-known/oauth-protected-resource/mcp`). */
export function protectedResourceMetadataPath(publicUrl: URL): string {
  const path = publicUrl.pathname.replace(/\/+$/, '');
  return `/.well-known/oauth-protected-resource${path}`;
}

/** Absolute URL of the protected-resource metadata, as advertised in `WWW-Authenticate`. */
export function protectedResourceMetadataUrl(publicUrl: URL): string {
  return new URL(protectedResourceMetadataPath(publicUrl), publicUrl.origin).href;
}

/**
 * The scope names a client must ask its authorization server for, as every document and challenge of
 * this server spells them. The catalog names scopes bare (`mcp:identity.read`). With the Cognito profile
 * and no broker, clients ask Cognito itself, whose resource-server scopes are `<resourceServerId>/<scope>`
 * (the verifier strips the prefix again), so the 401 and 403 challenges, the protected-resource metadata
 * and the authorization-server metadata all say `mcp/mcp:identity.read`. With the broker on, the broker
 * is the authorization server and grants the bare names.
 *
 * @param scopes - every scope the catalog defines.
 */
export function advertisedScopes(config: RuntimeConfig, scopes: readonly string[]): string[] {
  const auth = config.auth;
  if (auth.profile !== 'cognito' || config.broker) return [...scopes];
  const prefix = auth.resourceServerId.replace(/\/+$/, '');
  return scopes.map((scope) => `${prefix}/${scope}`);
}

/**
 * RFC 9728 protected-resource metadata for this server.
 *
 * @param scopes - the scopes to advertise (`scopes_supported`), as {@link advertisedScopes} names them.
 */
export function protectedResourceMetadata(config: RuntimeConfig, scopes: readonly string[]): Record<string, unknown> {
  return {
    resource: config.http.publicUrl.href,
    authorization_servers: config.auth.authorizationServers,
    scopes_supported: scopes,
    bearer_methods_supported: ['header'],
    resource_signing_alg_values_supported: config.auth.algorithms,
    resource_name: config.observability.serviceName,
  };
}

/**
 * RFC 8414 authorization-server metadata for the Cognito profile. Cognito's own discovery document
 * lacks `code_challenge_methods_supported`, and MCP clients refuse to start an authorization code
 * flow without it, so the server publishes this document (issuer: its own origin, the URL the
 * protected-resource metadata names) pointing at the pool's managed login endpoints with PKCE S256.
 *
 * @param scopes - every scope the catalog defines (bare names; prefixed here as {@link advertisedScopes} does).
 * @returns the document, or `undefined` for the generic OIDC profile (clients use the issuer's own)
 *   and when the broker is on (it serves its own).
 */
export function cognitoAuthorizationServerMetadata(config: RuntimeConfig, scopes: readonly string[]): Record<string, unknown> | undefined {
  const auth = config.auth;
  if (auth.profile !== 'cognito' || config.broker) return undefined;
  return {
    issuer: config.http.publicUrl.origin,
    authorization_endpoint: `${auth.domain}/oauth2/authorize`,
    token_endpoint: `${auth.domain}/oauth2/token`,
    revocation_endpoint: `${auth.domain}/oauth2/revoke`,
    userinfo_endpoint: `${auth.domain}/oauth2/userInfo`,
    jwks_uri: auth.jwksUrl,
    response_types_supported: ['code'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none', 'client_secret_basic', 'client_secret_post'],
    scopes_supported: ['openid', ...advertisedScopes(config, scopes)],
  };
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

/**
 * `WWW-Authenticate` value for a 401: where the metadata is, which scopes to ask for, and
 * `error="invalid_token"` when a token was presented. Never says why the token was refused.
 */
export function authenticationChallenge(publicUrl: URL, scopes: readonly string[], tokenPresented: boolean): string {
  const parts = [`resource_metadata=${quoted(protectedResourceMetadataUrl(publicUrl))}`, `scope=${quoted(scopes.join(' '))}`];
  if (tokenPresented) parts.unshift(`error="invalid_token"`);
  return `Bearer ${parts.join(', ')}`;
}

/** `WWW-Authenticate` value for a 403 naming the scopes needed. */
export function insufficientScopeChallenge(publicUrl: URL, needed: readonly string[]): string {
  return `Bearer error="insufficient_scope", scope=${quoted(needed.join(' '))}, resource_metadata=${quoted(protectedResourceMetadataUrl(publicUrl))}`;
}
