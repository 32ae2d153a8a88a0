import type { BrokerConfig } from './config.js';

/** Paths of the authorization server on the server's own origin. */
export const AUTHZ_PATHS = {
  metadata: '/.well-known/oauth-authorization-server',
  authorize: '/oauth/authorize',
  consent: '/oauth/consent',
  /** The user's own list of the applications they allowed, with revoke buttons. */
  consents: '/oauth/consents',
  callback: '/oauth/callback',
  token: '/oauth/token',
  register: '/oauth/register',
  revoke: '/oauth/revoke',
  jwks: '/oauth/jwks',
} as const;

/**
 * RFC 8414 metadata of the authorization server: issuer = the origin it is served from, PKCE S256
 * only, public clients (`none`), the `iss` authorization response parameter (RFC 9207), and
 * registration by Client ID Metadata Document or dynamic registration.
 *
 * @param scopes - every scope the catalog defines; the same names as the 401 challenge and the protected-resource metadata.
 */
export function authorizationServerMetadata(config: BrokerConfig, scopes: readonly string[]): Record<string, unknown> {
  const at = (path: string) => `${config.issuer}${path}`;
  return {
    issuer: config.issuer,
    authorization_endpoint: at(AUTHZ_PATHS.authorize),
    token_endpoint: at(AUTHZ_PATHS.token),
    ...(config.registration.enabled ? { registration_endpoint: at(AUTHZ_PATHS.register) } : {}),
    revocation_endpoint: at(AUTHZ_PATHS.revoke),
    jwks_uri: at(AUTHZ_PATHS.jwks),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: ['none'],
    revocation_endpoint_auth_methods_supported: ['none'],
    scopes_supported: [...scopes],
    authorization_response_iss_parameter_supported: true,
    client_id_metadata_document_supported: config.metadataDocuments.enabled,
  };
}
