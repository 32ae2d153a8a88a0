import type { IncomingMessage, ServerResponse } from 'node:http';
import type Provider from 'oidc-provider';
import { sendErrorPage, sendPage } from '../authz/pages.js';
import { readBody } from '../http/body.js';

/** Path prefix of the dev issuer's interactive pages. */
export const INTERACTION_PATH = '/interaction/';

// User names and group names on the dev login page: a conservative character set.
const NAME = /^[A-Za-z0-9._@-]{1,128}$/;
const MAX_ACCOUNTS = 10_000;

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/**
 * Groups chosen on the dev login page, by user name. Bounded: the oldest names are forgotten first.
 * Development only: the real identity provider owns groups in production.
 */
export class DevAccounts {
  readonly #groups = new Map<string, string[]>();

  set(user: string, groups: string[]): void {
    this.#groups.delete(user);
    if (this.#groups.size >= MAX_ACCOUNTS) this.#groups.delete(this.#groups.keys().next().value!);
    this.#groups.set(user, groups);
  }

  groups(user: string): string[] {
    return this.#groups.get(user) ?? [];
  }
}

function loginPage(res: ServerResponse, uid: string, problem?: string): void {
  const body = [
    '<p>Development sign-in: any user name works. This page stands in for your company\u2019s identity provider.</p>',
    problem ? `<p role="alert">${escapeHtml(problem)}</p>` : '',
    `<form method="post" action="${INTERACTION_PATH}${escapeHtml(uid)}/login">`,
    '<p><label for="username">User name</label><br><input id="username" name="username" autocomplete="username" required maxlength="128" value="alice"></p>',
    '<p><label for="groups">Groups (comma-separated)</label><br><input id="groups" name="groups" maxlength="1000" value="staff"></p>',
    '<p><button type="submit">Sign in</button></p>',
    '</form>',
  ].join('');
  sendPage(res, problem ? 400 : 200, 'Sign in (development)', body, 'unrestricted');
}

/**
 * Serves the dev issuer's interaction pages: a login form (any user name; groups typed on the page)
 * and an automatic consent for the broker client (the kit's broker asks the user for consent itself).
 *
 * @returns false when the request is not for an interaction page.
 */
export async function serveInteraction(provider: Provider, accounts: DevAccounts, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (!path.startsWith(INTERACTION_PATH)) return false;
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && path === `${INTERACTION_PATH}${details.uid}/login`) {
      const form = new URLSearchParams((await readBody(req, 4096)).toString('utf8'));
      const user = (form.get('username') ?? '').trim();
      const groups = (form.get('groups') ?? '').split(',').map((group) => group.trim()).filter((group) => group.length > 0);
      if (!NAME.test(user) || groups.length > 20 || !groups.every((group) => NAME.test(group))) {
        loginPage(res, details.uid, 'User and group names are 1-128 characters of letters, digits and . _ @ -');
        return true;
      }
      accounts.set(user, groups);
      await provider.interactionFinished(req, res, { login: { accountId: user } }, { mergeWithLastSubmission: false });
      return true;
    }
    if (req.method !== 'GET') {
      sendErrorPage(res, 405, 'Not allowed.');
      return true;
    }
    if (details.prompt.name === 'login') {
      loginPage(res, details.uid);
      return true;
    }
    const accountId = details.session?.accountId ?? '';
    const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ?? new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    const missing = details.prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return true;
  } catch {
    if (!res.headersSent) sendErrorPage(res, 400, 'This sign-in has expired. Start again from your application.');
    return true;
  }
}
