import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError } from '../http/body.js';
import type { BrokerConfig } from './config.js';
import { OAuthError } from './errors.js';
import { newSecret, sameSecret, type FlowStore } from './flow.js';
import { cookie, readCookie, readForm, redirect } from './http.js';
import { AUTHZ_PATHS } from './metadata.js';
import { sendConsentsPage, sendErrorPage, sendNoticePage } from './pages.js';
import { digest, type AuthzStore } from './store.js';
import type { TokenIssuer } from './tokens.js';
import type { UpstreamClient, UpstreamIdentity, UpstreamLeg } from './upstream.js';

/** Cookie binding a browser to its sign-in to the consents page, while it is at the identity provider. */
const LOGIN_COOKIE = '__Host-mcp-consents-login';
/** Cookie of a signed-in visit to the consents page. */
const SESSION_COOKIE = '__Host-mcp-consents';
const LOGIN_SECONDS = 600;
/** A signed-in visit lasts this long from the sign-in, whatever is done meanwhile. */
export const CONSENTS_SESSION_SECONDS = 900;

type ManageItem =
  | { readonly stage: 'login'; readonly leg: UpstreamLeg }
  | { readonly stage: 'session'; readonly user: UpstreamIdentity; readonly csrf: string };

/** Everything the consents page needs: the same store, flows, tokens and identity provider as the sign-in. */
export interface ConsentManagementOptions {
  readonly config: BrokerConfig;
  readonly store: AuthzStore;
  readonly flows: FlowStore;
  readonly tokens: TokenIssuer;
  readonly upstream: UpstreamClient;
  readonly onFailure: (where: string, error: unknown) => void;
}

/** The consents page's handlers (`GET` and `POST /oauth/consents`, and its return from the identity provider). */
export interface ConsentManagement {
  /** Lists the signed-in user's consents, or sends the browser to sign in first. */
  page(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
  /** Takes the page's forms: revoke one consent, or sign out. */
  submit(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** Completes a sign-in started by the consents page; false when the callback belongs to an MCP client's sign-in. */
  callback(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<boolean>;
}

/**
 * The user's own view of the consents they gave: a server-rendered page on the broker, signed in
 * through the same identity provider as every MCP client's sign-in (a fresh authorization code +
 * PKCE leg; the visit lasts {@link CONSENTS_SESSION_SECONDS} at most). Revoking a consent deletes it
 * and revokes every refresh-token family of that user and client, so the client must ask again.
 */
export function createConsentManagement(options: ConsentManagementOptions): ConsentManagement {
  const { config, store, flows, tokens, upstream, onFailure } = options;

  const sessionOf = async (req: IncomingMessage): Promise<{ id: string; user: UpstreamIdentity; csrf: string } | undefined> => {
    const id = readCookie(req, SESSION_COOKIE);
    if (!id || id.length > 128) return undefined;
    const item = await store.get<ManageItem>('manage', digest(id));
    return item?.stage === 'session' ? { id, user: item.user, csrf: item.csrf } : undefined;
  };

  /** Revokes the client's refresh families, then the consent, then any family a concurrent code redemption made meanwhile. */
  const revoke = async (user: UpstreamIdentity, clientId: string): Promise<void> => {
    await tokens.revokeAllOf(user, clientId);
    await flows.revokeConsent(user, clientId);
    await tokens.revokeAllOf(user, clientId);
  };

  return {
    async page(req, res, url) {
      const session = await sessionOf(req);
      if (session) {
        const rows = (await flows.listConsents(session.user)).map((consent) => ({
          clientId: consent.clientId,
          clientName: consent.clientName ?? consent.clientId,
          ...(consent.verifiedHost ? { verifiedHost: consent.verifiedHost } : consent.clientId.startsWith('https://') ? { verifiedHost: new URL(consent.clientId).host } : {}),
          scopes: consent.scopes,
          grantedAt: consent.grantedAt,
        }));
        sendConsentsPage(res, { user: session.user.name, csrf: session.csrf, rows, revoked: url.searchParams.get('revoked') === '1', accessTokenSeconds: config.accessTokenSeconds });
        return;
      }
      const leg = upstream.newLeg();
      const location = await upstream.authorizationUrl(leg);
      const loginId = newSecret();
      await store.put('manage', digest(loginId), { stage: 'login', leg } satisfies ManageItem, store.expiry(LOGIN_SECONDS));
      redirect(res, location, [cookie(LOGIN_COOKIE, loginId, LOGIN_SECONDS)]);
    },

    async callback(req, res, params) {
      const loginId = readCookie(req, LOGIN_COOKIE);
      if (!loginId || loginId.length > 128) return false;
      const pending = await store.get<ManageItem>('manage', digest(loginId));
      if (pending?.stage !== 'login' || !sameSecret(params.get('state') ?? '', pending.leg.state)) return false;
      const taken = await store.take<ManageItem>('manage', digest(loginId));
      const clear = cookie(LOGIN_COOKIE, '', 0);
      if (taken?.stage !== 'login') {
        sendErrorPage(res, 400, 'This sign-in was already completed. Open the page again.');
        return true;
      }
      const upstreamIss = params.get('iss');
      const code = params.get('code');
      if ((upstreamIss !== null && upstreamIss !== config.upstream.issuer) || !code || params.has('error')) {
        res.setHeader('set-cookie', clear);
        sendErrorPage(res, 400, 'The sign-in was not completed. Open the page again to retry.');
        return true;
      }
      let user: UpstreamIdentity;
      try {
        user = await upstream.redeem(code, taken.leg);
      } catch (error) {
        if (!(error instanceof OAuthError)) throw error;
        onFailure('consents-callback', error);
        res.setHeader('set-cookie', clear);
        sendErrorPage(res, error.status >= 500 ? 503 : 400, 'The sign-in was not completed. Open the page again to retry.');
        return true;
      }
      const sessionId = newSecret();
      await store.put('manage', digest(sessionId), { stage: 'session', user, csrf: newSecret() } satisfies ManageItem, store.expiry(CONSENTS_SESSION_SECONDS));
      redirect(res, AUTHZ_PATHS.consents, [clear, cookie(SESSION_COOKIE, sessionId, CONSENTS_SESSION_SECONDS)]);
      return true;
    },

    async submit(req, res) {
      let form: URLSearchParams;
      try {
        form = await readForm(req);
      } catch (error) {
        if (error instanceof OAuthError || error instanceof BodyTooLargeError) return sendNoticePage(res, 400, 'Nothing was changed', 'This form could not be read.');
        throw error;
      }
      const session = await sessionOf(req);
      if (!session) return sendNoticePage(res, 401, 'Nothing was changed', 'Your visit to this page has ended. Open the page again and sign in.');
      const csrf = form.getAll('csrf');
      if (csrf.length !== 1 || !sameSecret(csrf[0]!, session.csrf)) return sendNoticePage(res, 403, 'Nothing was changed', 'This form was not sent by this page. Nothing was changed.');
      const action = form.getAll('action');
      if (action.length === 1 && action[0] === 'signout') {
        await store.remove('manage', digest(session.id));
        res.setHeader('set-cookie', cookie(SESSION_COOKIE, '', 0));
        return sendNoticePage(res, 200, 'Signed out', 'You are signed out of this page. The applications you allowed keep their access.');
      }
      const clients = form.getAll('client');
      if (action.length !== 1 || action[0] !== 'revoke' || clients.length !== 1 || clients[0]!.length === 0 || clients[0]!.length > 2048) {
        return sendNoticePage(res, 400, 'Nothing was changed', 'This form could not be read.');
      }
      const clientId = clients[0]!;
      if (!(await flows.readConsent(session.user, clientId))) {
        return sendNoticePage(res, 404, 'Nothing was changed', 'That application is not among the ones you allowed. Nothing was changed.');
      }
      await revoke(session.user, clientId);
      redirect(res, `${AUTHZ_PATHS.consents}?revoked=1`);
    },
  };
}
