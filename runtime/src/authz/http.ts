import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from '../http/body.js';
import { OAuthError } from './errors.js';

/** Largest form body the sign-in pages accept. */
const MAX_FORM_BYTES = 8 * 1024;

/** A 303 redirect that is never cached and sends no referrer, with cookies to set. */
export function redirect(res: ServerResponse, location: string, cookies: string[] = []): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...(cookies.length > 0 ? { 'set-cookie': cookies } : {}) });
  res.end();
}

/**
 * A `Set-Cookie` value for a `__Host-` cookie: this origin only, every path, https only, hidden
 * from script, not sent on cross-site subresource requests or form posts. `maxAgeSeconds` 0 deletes it.
 */
export function cookie(name: string, value: string, maxAgeSeconds: number): string {
  return `${name}=${value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;
}

/** The value of the cookie `name`, or undefined (also for an oversized `Cookie` header). */
export function readCookie(req: IncomingMessage, name: string): string | undefined {
  const header = req.headers.cookie;
  if (typeof header !== 'string' || header.length > 8192) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** One value of a parameter; a repeated parameter is an `invalid_request` (RFC 6749 §3.1). */
export function single(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  if (values.length > 1) throw new OAuthError('invalid_request', `${name} must not be repeated`);
  return values[0];
}

/**
 * Reads an `application/x-www-form-urlencoded` body of at most 8 KiB.
 *
 * @throws OAuthError `invalid_request` for another media type; BodyTooLargeError past the bound.
 */
export async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'the body must be application/x-www-form-urlencoded');
  return new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8'));
}
