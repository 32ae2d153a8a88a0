import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, ClientGoneError, isJsonMediaType, readBody } from '../http/body.js';
import { RateLimiter } from '../tools/limits.js';
import { ClientMetadataResolver } from './cimd.js';
import { createConsentManagement } from './consents.js';
import { MAX_REGISTRATION_BYTES, redirectUriMatches, registrationFromRequest, registrationResponse, type ClientRecord } from './clients.js';
import type { BrokerConfig } from './config.js';
import { OAuthError } from './errors.js';
import { cookie, readCookie, readForm, redirect, single } from './http.js';
import {
  clientRedirect,
  consentCovers,
  BROWSER_SECONDS,
  FlowStore,
  isPkceValue,
  loadClient,
  newSecret,
  pkceMatches,
  sameSecret,
  type CodeGrant,
  type Flow,
} from './flow.js';
import { authorizationServerMetadata, AUTHZ_PATHS } from './metadata.js';
import { sendConsentPage, sendErrorPage } from './pages.js';
import { SigningUnavailableError, type TokenSigner } from './signer.js';
import { AuthzStoreUnavailableError, type AuthzStore } from './store.js';
import { TokenIssuer } from './tokens.js';
import { UpstreamClient, type UpstreamIdentity } from './upstream.js';

/** Cookie binding a browser to its sign-in in progress. */
const FLOW_COOKIE = '__Host-mcp-flow';
/** Cookie remembering who signed in with this browser, so a remembered consent needs no page. */
const BROWSER_COOKIE = '__Host-mcp-browser';
const CONSENT_SECONDS = 180 * 86_400;
/** Scopes a client may ask for that do not name a permission of this server (and are dropped). */
const IGNORED_SCOPES = new Set(['offline_access', 'openid']);

/** Everything the authorization server needs. */
export interface AuthorizationServerOptions {
  readonly config: BrokerConfig;
  readonly store: AuthzStore;
  readonly signer: TokenSigner;
  /** Every scope the catalog defines: the scopes a client may be granted. */
  readonly scopes: readonly string[];
  /** Records a refusal or failure for logs and metrics (the client sees only the OAuth error). */
  readonly onFailure?: (where: string, error: unknown) => void;
  /** Extra trusted CA certificates (PEM) for fetching metadata documents; tests only (development uses NODE_EXTRA_CA_CERTS). */
  readonly metadataCa?: string;
}

/** The authorization server's HTTP surface. */
export interface AuthorizationServer {
  /** The RFC 8414 metadata. */
  readonly metadata: Record<string, unknown>;
  /** Serves the request when its path is one of the authorization server's; false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text).toString(),
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'access-control-allow-origin': '*',
    ...headers,
  });
  res.end(text);
}

function clientIp(req: IncomingMessage): string {
  // The load balancer appends the peer address last; without one the socket peer is the client.
  const forwarded = req.headers['x-forwarded-for'];
  const last = typeof forwarded === 'string' ? forwarded.split(',').pop()?.trim() : undefined;
  return last || req.socket.remoteAddress || 'unknown';
}

/** Why a token request may not redeem `grant`, or `undefined` when it may. */
function codeRefusal(grant: CodeGrant, client: ClientRecord, redirectUri: string | undefined, verifier: string, resource: string | undefined): OAuthError | undefined {
  if (grant.clientId !== client.clientId) return new OAuthError('invalid_grant', 'the code is not valid');
  if (redirectUri !== undefined ? redirectUri !== grant.redirectUri : client.redirectUris.length !== 1) return new OAuthError('invalid_grant', 'redirect_uri does not match the authorization request');
  if (!pkceMatches(verifier, grant.codeChallenge)) return new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
  if (resource !== undefined && resource !== grant.resource) return new OAuthError('invalid_target', 'the code was not issued for this resource');
  return undefined;
}

function formAction(uri: string): string {
  const url = new URL(uri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
}

/**
 * Builds the OAuth 2.1 authorization server that signs users in through the enterprise identity
 * provider and issues this server's own tokens. See the README ("Sign-in for stock MCP clients").
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): AuthorizationServer {
  const { config, store, signer } = options;
  const flows = new FlowStore(store);
  const tokens = new TokenIssuer(config, store, signer);
  const upstream = new UpstreamClient(config.upstream, `${config.issuer}${AUTHZ_PATHS.callback}`);
  const metadata = authorizationServerMetadata(config, options.scopes);
  const registrations = new RateLimiter(config.registration.perMinute);
  const tokenRequests = new RateLimiter(config.tokenRequestsPerMinute);
  const upstreamOrigin = new URL(config.upstream.issuer).origin;
  const fail = options.onFailure ?? (() => undefined);
  const documents = config.metadataDocuments.enabled
    ? new ClientMetadataResolver(config.metadataDocuments, options.metadataCa ? { ca: options.metadataCa } : {})
    : undefined;
  const clientOf = (clientId: string | undefined) => loadClient(store, clientId, documents);
  /** The client, or undefined when it is no longer registered (a dynamic registration that expired). */
  const registeredClient = (clientId: string) =>
    clientOf(clientId).catch((error: unknown) => {
      if (error instanceof OAuthError && error.code === 'invalid_client') return undefined;
      throw error;
    });
  const consents = createConsentManagement({ config, store, flows, tokens, upstream, onFailure: fail });

  const resourceOf = (value: string | undefined): string => {
    if (value === undefined) return config.resource;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new OAuthError('invalid_target', 'resource must be an absolute URL');
    }
    const strip = (href: string) => href.replace(/\/+$/, '');
    if (url.hash !== '' || strip(url.href) !== strip(config.resource)) throw new OAuthError('invalid_target', 'this server issues tokens for its own resource only');
    return config.resource;
  };

  const scopesOf = (value: string | undefined): string[] => {
    const requested = (value ?? '').split(' ').filter((scope) => scope.length > 0 && !IGNORED_SCOPES.has(scope));
    if (requested.length === 0) return [...options.scopes];
    if (requested.length > 50 || requested.some((scope) => !options.scopes.includes(scope))) throw new OAuthError('invalid_scope', 'a requested scope is not offered by this server');
    return [...new Set(requested)];
  };

  const touchClient = async (client: ClientRecord): Promise<void> => {
    if (client.kind === 'dynamic') await store.put('client', client.clientId, client, store.expiry(config.registration.unusedSeconds));
  };

  const consentView = (flowId: string, flow: Flow, client: ClientRecord, user?: UpstreamIdentity) => ({
    flowId,
    csrf: flow.csrf,
    clientName: client.name,
    ...(client.kind === 'metadata' ? { verifiedHost: new URL(client.clientId).host } : {}),
    redirectUri: flow.redirectUri,
    scopes: flow.scopes,
    resource: config.resource,
    ...(user ? { user: user.name } : {}),
    formTargets: [upstreamOrigin, formAction(flow.redirectUri)],
  });

  /** Sends the browser upstream for the sign-in, with fresh per-flow secrets. */
  const goUpstream = async (res: ServerResponse, flowId: string, flow: Flow, cookies: string[] = []): Promise<void> => {
    const leg = upstream.newLeg();
    const location = await upstream.authorizationUrl(leg);
    await flows.updateFlow(flowId, { ...flow, upstream: leg });
    redirect(res, location, cookies);
  };

  /** Issues the code and sends the browser back to the client. */
  const finish = async (res: ServerResponse, flow: Flow, user: UpstreamIdentity): Promise<void> => {
    const code = await flows.issueCode({
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      codeChallenge: flow.codeChallenge,
      scopes: flow.scopes,
      resource: flow.resource,
      user,
    });
    const browser = await flows.rememberBrowser(user);
    redirect(res, clientRedirect(config, flow, { code }), [cookie(FLOW_COOKIE, '', 0), cookie(BROWSER_COOKIE, browser, BROWSER_SECONDS)]);
  };

  async function authorize(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    // Until the client and its redirect URI are known good, every error is a page, never a redirect.
    let client: ClientRecord;
    let redirectUri: string;
    try {
      client = await clientOf(single(params, 'client_id'));
      const presented = single(params, 'redirect_uri');
      if (presented === undefined) {
        if (client.redirectUris.length !== 1) throw new OAuthError('invalid_request', 'redirect_uri is required');
        redirectUri = client.redirectUris[0]!;
      } else if (redirectUriMatches(client, presented)) {
        redirectUri = presented;
      } else {
        throw new OAuthError('invalid_request', 'redirect_uri is not registered for this client');
      }
    } catch (error) {
      if (error instanceof OAuthError && error.code !== 'temporarily_unavailable') {
        sendErrorPage(res, 400, 'The application that sent you here is not known to this server, or asked to send you somewhere it did not register.');
        return;
      }
      throw error;
    }
    const state = params.get('state') ?? undefined;
    const back = { redirectUri, ...(state !== undefined && state.length <= 2048 ? { state } : {}) };
    try {
      if (single(params, 'response_type') !== 'code') throw new OAuthError('unsupported_response_type', 'response_type must be code');
      const challenge = single(params, 'code_challenge');
      if (!isPkceValue(challenge)) throw new OAuthError('invalid_request', 'code_challenge is required (PKCE)');
      if (single(params, 'code_challenge_method') !== 'S256') throw new OAuthError('invalid_request', 'code_challenge_method must be S256');
      if (params.getAll('resource').length > 1) throw new OAuthError('invalid_target', 'one resource per request');
      const flow: Flow = {
        clientId: client.clientId,
        ...back,
        codeChallenge: challenge,
        scopes: scopesOf(single(params, 'scope')),
        resource: resourceOf(single(params, 'resource')),
        csrf: newSecret(),
        approved: false,
      };
      const flowId = await flows.startFlow(flow);
      const flowCookie = cookie(FLOW_COOKIE, flowId, 600);
      const browserId = readCookie(req, BROWSER_COOKIE);
      const known = browserId ? await flows.readBrowser(browserId) : undefined;
      if (known && consentCovers(await flows.readConsent(known, client.clientId), flow.scopes)) {
        await goUpstream(res, flowId, flow, [flowCookie]);
        return;
      }
      res.setHeader('set-cookie', flowCookie);
      sendConsentPage(res, consentView(flowId, flow, client));
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      fail('authorize', error);
      redirect(res, clientRedirect(config, back, { error: error.code, error_description: error.description }));
    }
  }

  async function consent(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (error) {
      if (error instanceof OAuthError || error instanceof BodyTooLargeError) {
        sendErrorPage(res, 400, 'This form could not be read.');
        return;
      }
      throw error;
    }
    const flowId = form.get('flow') ?? '';
    const bound = readCookie(req, FLOW_COOKIE);
    const flow = bound && sameSecret(bound, flowId) ? await flows.readFlow(flowId) : undefined;
    if (!flow) {
      sendErrorPage(res, 400, 'This sign-in has expired or was started in another browser. Start again from your application.');
      return;
    }
    if (!sameSecret(form.get('csrf') ?? '', flow.csrf)) {
      sendErrorPage(res, 403, 'This form was not sent by this server\u2019s consent page. Nothing was changed.');
      return;
    }
    if (form.get('decision') !== 'allow') {
      await flows.takeFlow(flowId);
      redirect(res, clientRedirect(config, flow, { error: 'access_denied', error_description: 'the user denied access' }), [cookie(FLOW_COOKIE, '', 0)]);
      return;
    }
    if (flow.user) {
      // Consent asked after the sign-in: the user is known, so the consent is recorded and the code issued.
      const client = await registeredClient(flow.clientId);
      if (!client) {
        sendErrorPage(res, 400, 'The application that started this sign-in is no longer registered.');
        return;
      }
      if (!(await flows.takeFlow(flowId))) {
        sendErrorPage(res, 400, 'This sign-in has already been completed.');
        return;
      }
      await flows.rememberConsent(flow.user, client, flow.scopes, CONSENT_SECONDS);
      await finish(res, flow, flow.user);
      return;
    }
    await goUpstream(res, flowId, { ...flow, approved: true });
  }

  async function callback(req: IncomingMessage, res: ServerResponse, params: URLSearchParams): Promise<void> {
    if (await consents.callback(req, res, params)) return;
    const flowId = readCookie(req, FLOW_COOKIE);
    const flow = flowId ? await flows.takeFlow(flowId) : undefined;
    const state = params.get('state') ?? '';
    if (!flowId || !flow?.upstream || !sameSecret(state, flow.upstream.state)) {
      sendErrorPage(res, 400, 'This sign-in has expired, was already completed, or was started in another browser. Start again from your application.');
      return;
    }
    const code = params.get('code');
    // RFC 9207: a provider that names itself in the response must be the one this flow went to.
    const upstreamIss = params.get('iss');
    if (upstreamIss !== null && upstreamIss !== config.upstream.issuer) {
      fail('callback', new OAuthError('access_denied', 'the authorization response names another issuer'));
      redirect(res, clientRedirect(config, flow, { error: 'access_denied', error_description: 'the sign-in was answered by an unexpected identity provider' }), [cookie(FLOW_COOKIE, '', 0)]);
      return;
    }
    if (!code || params.has('error')) {
      redirect(res, clientRedirect(config, flow, { error: 'access_denied', error_description: 'the sign-in was not completed' }), [cookie(FLOW_COOKIE, '', 0)]);
      return;
    }
    let user: UpstreamIdentity;
    try {
      user = await upstream.redeem(code, flow.upstream);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      fail('callback', error);
      redirect(res, clientRedirect(config, flow, { error: error.code, error_description: error.description }), [cookie(FLOW_COOKIE, '', 0)]);
      return;
    }
    const client = await registeredClient(flow.clientId);
    if (!client) {
      sendErrorPage(res, 400, 'The application that started this sign-in is no longer registered.');
      return;
    }
    if (flow.approved) {
      await flows.rememberConsent(user, client, flow.scopes, CONSENT_SECONDS);
      await finish(res, flow, user);
      return;
    }
    if (consentCovers(await flows.readConsent(user, flow.clientId), flow.scopes)) {
      await finish(res, flow, user);
      return;
    }
    // Someone else signed in than the browser remembered: ask this user.
    // The upstream leg is spent: the waiting flow keeps the user, a fresh CSRF token, and no leg.
    const waiting: Flow = {
      clientId: flow.clientId,
      redirectUri: flow.redirectUri,
      ...(flow.state !== undefined ? { state: flow.state } : {}),
      codeChallenge: flow.codeChallenge,
      scopes: flow.scopes,
      resource: flow.resource,
      approved: false,
      user,
      csrf: newSecret(),
    };
    await flows.updateFlow(flowId, waiting);
    sendConsentPage(res, consentView(flowId, waiting, client, user));
  }

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!config.registration.enabled) throw new OAuthError('invalid_request', 'dynamic client registration is turned off on this server');
    if (registrations.take(clientIp(req)) > 0) throw new OAuthError('slow_down', 'too many registrations; try again later');
    if (!isJsonMediaType(req.headers['content-type'])) throw new OAuthError('invalid_client_metadata', 'the body must be application/json');
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req, MAX_REGISTRATION_BYTES)).toString('utf8'));
    } catch (error) {
      if (error instanceof BodyTooLargeError) throw new OAuthError('invalid_client_metadata', 'the registration request is too large');
      if (error instanceof SyntaxError) throw new OAuthError('invalid_client_metadata', 'the registration request is not JSON');
      throw error;
    }
    const client = registrationFromRequest(body);
    await store.put('client', client.clientId, client, store.expiry(config.registration.unusedSeconds), { ifAbsent: true });
    sendJson(res, 201, registrationResponse(client, Math.floor(Date.now() / 1000)));
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (tokenRequests.take(clientIp(req)) > 0) throw new OAuthError('slow_down', 'too many token requests; try again later');
    if (req.headers.authorization !== undefined) throw new OAuthError('invalid_client', 'clients of this server are public: send client_id, no credentials');
    const form = await readForm(req);
    const grantType = single(form, 'grant_type');
    const clientId = single(form, 'client_id');
    if (!clientId) throw new OAuthError('invalid_client', 'client_id is required');
    const client = await clientOf(clientId);
    const resourceParam = single(form, 'resource');
    if (grantType === 'authorization_code') {
      const code = single(form, 'code');
      const verifier = single(form, 'code_verifier');
      const redirectUri = single(form, 'redirect_uri');
      if (!code || code.length > 512) throw new OAuthError('invalid_request', 'code is required');
      if (!isPkceValue(verifier)) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');
      const resource = resourceParam === undefined ? undefined : resourceOf(resourceParam);
      const grant = await flows.readCode(code);
      if (!grant) throw new OAuthError('invalid_grant', 'the code is not valid');
      // A code presented wrongly is spent. A right one is spent only once its access token is
      // signed, so a signing outage (503) leaves it for the client's retry.
      const refusal =
        codeRefusal(grant, client, redirectUri, verifier, resource) ??
        ((await flows.readConsent(grant.user, client.clientId)) ? undefined : new OAuthError('invalid_grant', 'the consent for this client was revoked'));
      if (refusal) {
        await flows.redeemCode(code);
        throw refusal;
      }
      await touchClient(client);
      const issued = await tokens.issue(
        { clientId: client.clientId, scopes: grant.scopes, resource: grant.resource, user: grant.user, refresh: client.grantTypes.includes('refresh_token') },
        async () => (await flows.redeemCode(code)) !== undefined,
      );
      sendJson(res, 200, issued);
      return;
    }
    if (grantType === 'refresh_token') {
      if (!client.grantTypes.includes('refresh_token')) throw new OAuthError('unauthorized_client', 'this client may not use refresh tokens');
      const refresh = single(form, 'refresh_token');
      if (!refresh) throw new OAuthError('invalid_request', 'refresh_token is required');
      const resource = resourceParam === undefined ? undefined : resourceOf(resourceParam);
      const answer = await tokens.rotate(refresh, client.clientId, resource, async (user, id) => (await flows.readConsent(user, id)) !== undefined);
      await touchClient(client);
      sendJson(res, 200, answer);
      return;
    }
    throw new OAuthError(grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? 'grant_type is not supported' : 'grant_type is required');
  }

  async function revoke(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = await readForm(req);
    const value = single(form, 'token');
    const clientId = single(form, 'client_id');
    if (!value) throw new OAuthError('invalid_request', 'token is required');
    if (clientId) await tokens.revoke(value, clientId);
    sendJson(res, 200, {});
  }

  const api: Record<string, { method: string; run: (req: IncomingMessage, res: ServerResponse) => Promise<void> }> = {
    [AUTHZ_PATHS.register]: { method: 'POST', run: register },
    [AUTHZ_PATHS.token]: { method: 'POST', run: token },
    [AUTHZ_PATHS.revoke]: { method: 'POST', run: revoke },
  };
  const metadataText = JSON.stringify(metadata);
  const jwksText = JSON.stringify({ keys: signer.publicJwks });

  return {
    metadata,
    async handle(req, res, url) {
      const path = url.pathname;
      const method = req.method ?? '';
      try {
        if (path === AUTHZ_PATHS.metadata || path === AUTHZ_PATHS.jwks) {
          if (method !== 'GET' && method !== 'HEAD') return sendJson(res, 405, { error: 'invalid_request', error_description: 'method not allowed' }, { allow: 'GET' }), true;
          res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300', 'access-control-allow-origin': '*' });
          res.end(path === AUTHZ_PATHS.metadata ? metadataText : jwksText);
          return true;
        }
        const endpoint = api[path];
        if (endpoint) {
          if (method === 'OPTIONS') {
            res.writeHead(204, { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, mcp-protocol-version', 'access-control-max-age': '600' });
            res.end();
            return true;
          }
          if (method !== endpoint.method) throw new OAuthError('invalid_request', 'method not allowed');
          try {
            await endpoint.run(req, res);
          } catch (error) {
            if (error instanceof BodyTooLargeError) throw new OAuthError('invalid_request', 'the request body is too large');
            throw error;
          }
          return true;
        }
        if (path === AUTHZ_PATHS.consents) {
          if (method === 'GET' || method === 'HEAD') await consents.page(req, res, url);
          else if (method === 'POST') await consents.submit(req, res);
          else sendErrorPage(res, 405, 'This address only takes a browser visit or its own forms.');
          return true;
        }
        if (path === AUTHZ_PATHS.authorize || path === AUTHZ_PATHS.callback || path === AUTHZ_PATHS.consent) {
          if (path === AUTHZ_PATHS.consent) {
            if (method !== 'POST') return sendErrorPage(res, 405, 'This address only takes the consent form.'), true;
            await consent(req, res);
          } else {
            if (method !== 'GET') return sendErrorPage(res, 405, 'This address only takes a browser visit.'), true;
            if ((req.url ?? '').length > 8192) return sendErrorPage(res, 414, 'This sign-in request is too long.'), true;
            await (path === AUTHZ_PATHS.authorize ? authorize(req, res, url.searchParams) : callback(req, res, url.searchParams));
          }
          return true;
        }
        return false;
      } catch (error) {
        if (error instanceof ClientGoneError) {
          res.destroy();
          return true;
        }
        const oauth =
          error instanceof OAuthError
            ? error
            : error instanceof AuthzStoreUnavailableError || error instanceof SigningUnavailableError
              ? new OAuthError('temporarily_unavailable', 'sign-in is temporarily unavailable; try again', { cause: error })
              : undefined;
        if (!oauth) throw error;
        fail(path, oauth);
        if (res.headersSent) {
          res.destroy();
          return true;
        }
        const browserPage = path === AUTHZ_PATHS.authorize || path === AUTHZ_PATHS.callback || path === AUTHZ_PATHS.consent || path === AUTHZ_PATHS.consents;
        if (browserPage) sendErrorPage(res, oauth.status, 'Sign-in is temporarily unavailable. Try again in a moment.');
        else sendJson(res, oauth.status, oauth.toJSON(), oauth.code === 'slow_down' ? { 'retry-after': '60' } : oauth.code === 'invalid_client' ? { 'www-authenticate': 'Basic realm="oauth"' } : {});
        return true;
      }
    },
  };
}
