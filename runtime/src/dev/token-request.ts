import { DEV_GRANT_TYPE } from './grant.js';

/** Asks a running dev issuer for an access token through its token endpoint (client authentication: HTTP Basic). */
export async function requestDevToken(
  issuer: { readonly tokenEndpoint: string; readonly clientId: string; readonly clientSecret: string },
  request: { sub: string; scopes?: readonly string[]; groups?: readonly string[]; resource?: string; ttlSeconds?: number; withIdToken?: boolean },
): Promise<{ accessToken: string; idToken?: string; expiresIn: number }> {
  const form = new URLSearchParams({ grant_type: DEV_GRANT_TYPE, sub: request.sub });
  const scopes = [...(request.withIdToken ? ['openid'] : []), ...(request.scopes ?? [])];
  if (scopes.length > 0) form.set('scope', scopes.join(' '));
  if (request.groups && request.groups.length > 0) form.set('groups', request.groups.join(','));
  if (request.resource) form.set('resource', request.resource);
  if (request.ttlSeconds) form.set('ttl', String(request.ttlSeconds));
  const response = await fetch(issuer.tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(issuer.clientId)}:${encodeURIComponent(issuer.clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form,
  });
  const body = (await response.json()) as { access_token?: string; id_token?: string; expires_in?: number; error?: string; error_description?: string };
  if (!response.ok || !body.access_token) {
    throw new Error(`token request refused: ${body.error ?? response.status} ${body.error_description ?? ''}`.trim());
  }
  return { accessToken: body.access_token, ...(body.id_token ? { idToken: body.id_token } : {}), expiresIn: body.expires_in ?? 0 };
}
