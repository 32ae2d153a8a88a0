import { createHash, randomBytes } from 'node:crypto';

/** A browser's cookie store for one host (cookies are not isolated by port), enough for the sign-in pages. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';', 1);
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** One HTTP step as a browser takes it: cookies sent and kept, no redirect followed. */
export async function browserStep(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Response> {
  const response = await fetch(url, {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  jar.take(response);
  return response;
}

/** The hidden fields of the consent page. */
export function consentFields(html: string): { flow: string; csrf: string } {
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(html)?.[1] ?? '';
  return { flow: field('flow'), csrf: field('csrf') };
}

/** A PKCE pair (RFC 7636, S256). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * Follows redirects by hand from `url` until one leaves for `stopAt` (the client's redirect URI),
 * answering the consent page (Allow) and the dev login page on the way, as a user would.
 *
 * @returns the final redirect to the client.
 */
export async function completeSignIn(jar: CookieJar, url: string, stopAt: string, user = { name: 'alice', groups: 'staff' }): Promise<URL> {
  let next = url;
  for (let hop = 0; hop < 20; hop += 1) {
    if (next.startsWith(stopAt)) return new URL(next);
    const response = await browserStep(jar, next);
    const location = response.headers.get('location');
    if (location) {
      next = new URL(location, next).href;
      continue;
    }
    const html = await response.text();
    if (html.includes('Allow access?')) {
      const decision = await browserStep(jar, new URL('/oauth/consent', next).href, { ...consentFields(html), decision: 'allow' });
      next = new URL(decision.headers.get('location') ?? '', next).href;
      continue;
    }
    const login = /action="([^"]*\/login)"/.exec(html)?.[1];
    if (login) {
      const submitted = await browserStep(jar, new URL(login, next).href, { username: user.name, groups: user.groups });
      next = new URL(submitted.headers.get('location') ?? '', next).href;
      continue;
    }
    throw new Error(`sign-in stopped at ${next} with ${response.status}: ${html.slice(0, 200)}`);
  }
  throw new Error('too many redirects');
}
