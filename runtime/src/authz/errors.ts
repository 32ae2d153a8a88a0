/** OAuth error codes this authorization server answers with (RFC 6749, 7591, 8707, 7009). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'invalid_client_metadata'
  | 'invalid_redirect_uri'
  | 'temporarily_unavailable'
  | 'slow_down';

const STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  access_denied: 403,
  temporarily_unavailable: 503,
  slow_down: 429,
};

/**
 * A refusal with an RFC error code and a fixed public description. The description is always
 * text of this code base, never text from the request.
 */
export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    readonly code: OAuthErrorCode,
    readonly description: string,
    options?: ErrorOptions,
  ) {
    super(`${code}: ${description}`, options);
  }

  /** HTTP status of the JSON answer (400 unless the RFC says otherwise). */
  get status(): number {
    return STATUS[this.code] ?? 400;
  }

  /** The JSON body of the answer. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}
