import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium. Tests that need it fail (never skip) when it is missing: `.ci/run` installs it. */
export const CHROMIUM = '/usr/bin/chromium';

/** Starts headless Debian chromium through playwright-core. @throws when chromium is not installed. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`this test needs ${CHROMIUM}: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A loopback page that receives the authorization response, as a native client's redirect listener does. */
export class RedirectCatcher {
  readonly #server: Server;
  #waiting: Array<(url: URL) => void> = [];
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.url);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
      for (const resolve of this.#waiting.splice(0)) resolve(url);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', () => resolve()));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/callback`;
    return this.url;
  }

  /** The next authorization response that arrives. */
  next(): Promise<URL> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }
}

/**
 * Walks one sign-in in the browser as a user does: the kit's consent page (Allow), then the dev
 * issuer's login page (user name and groups), whichever of them appear.
 */
export async function signInInBrowser(page: Page, authorizationUrl: string, user: { name: string; groups: string }, until: Promise<URL>): Promise<URL> {
  await page.goto(authorizationUrl);
  const done = until.then((url) => ({ url }));
  for (let step = 0; step < 4; step += 1) {
    const next = await Promise.race([done, page.waitForLoadState('load').then(() => undefined)]);
    if (next) return next.url;
    const title = await page.title();
    if (title === 'Allow access?') {
      await Promise.all([page.waitForNavigation().catch(() => undefined), page.getByRole('button', { name: 'Allow' }).click()]);
    } else if (title.startsWith('Sign in')) {
      await page.getByLabel('User name').fill(user.name);
      await page.getByLabel('Groups (comma-separated)').fill(user.groups);
      await Promise.all([page.waitForNavigation().catch(() => undefined), page.getByRole('button', { name: 'Sign in' }).click()]);
    } else {
      const result = await Promise.race([done, new Promise<undefined>((resolve) => setTimeout(resolve, 2000))]);
      if (result) return result.url;
      throw new Error(`unexpected page "${title}": ${(await page.textContent('body'))?.slice(0, 300)}`);
    }
  }
  return (await done).url;
}
