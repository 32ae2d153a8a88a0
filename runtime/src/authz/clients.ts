import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { OAuthError } from './errors.js';

/** An MCP client as the authorization server knows it: registered dynamically or by metadata document. */
export interface ClientRecord {
  readonly clientId: string;
  /** `dynamic` (RFC 7591, shown as unverified) or `metadata` (a CIMD URL, shown with its host). */
  readonly kind: 'dynamic' | 'metadata';
  readonly name: string;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
}

/** Largest registration request body, bytes. */
export const MAX_REGISTRATION_BYTES = 8 * 1024;
const MAX_URI = 2000;
const GRANTS = ['authorization_code', 'refresh_token'] as const;
const LOOPBACK_IPS = new Set(['127.0.0.1', '::1']);
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'file:', 'blob:', 'vbscript:', 'about:', 'ftp:', 'ws:', 'wss:', 'chrome:', 'view-source:', 'mailto:', 'tel:']);

/** The host of `url` without the brackets of an IPv6 literal, as `node:net` expects it. */
export function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '');
}

/** True for an http redirect to a loopback IP literal, whose port a native app picks at run time (RFC 8252 §7.3). */
function isLoopbackIpRedirect(url: URL): boolean {
  return url.protocol === 'http:' && isIP(hostOf(url)) !== 0 && LOOPBACK_IPS.has(hostOf(url));
}

/**
 * Checks that a redirect URI may be registered: an absolute URL without fragment or credentials;
 * https; http only on loopback (`127.0.0.1`, `[::1]`, `localhost`); or a private-use scheme of a
 * native app (RFC 8252 §7.1, e.g. `cursor://…`, `com.example.app:/cb`), never a scheme a browser
 * runs or fetches itself (`javascript:`, `data:`, `file:` …).
 *
 * @returns an error text, or `undefined` when the URI is acceptable.
 */
export function redirectUriProblem(value: string): string | undefined {
  if (value.length > MAX_URI) return 'redirect_uri is too long';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'redirect_uri must be an absolute URL';
  }
  if (url.hash !== '' || value.includes('#')) return 'redirect_uri must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'redirect_uri must not carry credentials';
  if (url.protocol === 'https:') return url.hostname === '' ? 'redirect_uri needs a host' : undefined;
  if (url.protocol === 'http:') {
    return isLoopbackIpRedirect(url) || hostOf(url) === 'localhost' ? undefined : 'http redirect_uri must be on loopback';
  }
  return FORBIDDEN_SCHEMES.has(url.protocol) ? 'redirect_uri scheme is not allowed' : undefined;
}

/**
 * Whether `presented` is one of the client's redirect URIs: exact string comparison, except that an
 * http redirect to a loopback IP literal matches whatever its port (RFC 8252 §7.3).
 */
export function redirectUriMatches(client: Pick<ClientRecord, 'redirectUris'>, presented: string): boolean {
  if (client.redirectUris.includes(presented)) return true;
  let url: URL;
  try {
    url = new URL(presented);
  } catch {
    return false;
  }
  if (!isLoopbackIpRedirect(url) || presented.includes('#')) return false;
  return client.redirectUris.some((registered) => {
    const candidate = new URL(registered);
    if (!isLoopbackIpRedirect(candidate)) return false;
    return hostOf(candidate) === hostOf(url) && candidate.pathname === url.pathname && candidate.search === url.search;
  });
}

const registrationSchema = z
  .object({
    redirect_uris: z.array(z.string()).min(1).max(10),
    client_name: z.string().max(100).optional(),
    client_uri: z.string().max(MAX_URI).optional(),
    logo_uri: z.string().max(MAX_URI).optional(),
    grant_types: z.array(z.string()).max(4).optional(),
    response_types: z.array(z.string()).max(2).optional(),
    token_endpoint_auth_method: z.string().max(64).optional(),
    scope: z.string().max(1000).optional(),
    software_id: z.string().max(200).optional(),
    software_version: z.string().max(100).optional(),
  })
  .loose();

/** Printable, single-line text of at most `max` characters (control and bidi characters removed). */
export function displayText(value: string, max: number): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim().slice(0, max);
}

/**
 * Validates an RFC 7591 registration request for a public client and builds its record.
 *
 * @throws OAuthError `invalid_client_metadata` or `invalid_redirect_uri`.
 */
export function registrationFromRequest(body: unknown): ClientRecord {
  const parsed = registrationSchema.safeParse(body);
  if (!parsed.success) throw new OAuthError('invalid_client_metadata', 'the registration request is not valid client metadata');
  const metadata = parsed.data;
  if (metadata.token_endpoint_auth_method !== undefined && metadata.token_endpoint_auth_method !== 'none') {
    throw new OAuthError('invalid_client_metadata', 'only public clients (token_endpoint_auth_method "none") may register');
  }
  const grantTypes = metadata.grant_types ?? ['authorization_code', 'refresh_token'];
  if (!grantTypes.includes('authorization_code') || grantTypes.some((grant) => !(GRANTS as readonly string[]).includes(grant))) {
    throw new OAuthError('invalid_client_metadata', 'grant_types must be authorization_code, optionally with refresh_token');
  }
  if (metadata.response_types !== undefined && (metadata.response_types.length !== 1 || metadata.response_types[0] !== 'code')) {
    throw new OAuthError('invalid_client_metadata', 'response_types must be ["code"]');
  }
  for (const uri of metadata.redirect_uris) {
    const problem = redirectUriProblem(uri);
    if (problem) throw new OAuthError('invalid_redirect_uri', problem);
  }
  return {
    clientId: `dyn-${randomBytes(18).toString('base64url')}`,
    kind: 'dynamic',
    name: displayText(metadata.client_name ?? '', 100) || 'Unnamed client',
    redirectUris: [...new Set(metadata.redirect_uris)],
    grantTypes: [...new Set(grantTypes)],
  };
}

/** The RFC 7591 registration response for a record. */
export function registrationResponse(client: ClientRecord, issuedAt: number): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_id_issued_at: issuedAt,
    client_name: client.name,
    redirect_uris: client.redirectUris,
    grant_types: client.grantTypes,
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  };
}
