import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
// oidc-provider's own in-memory adapter, handed over through its `adapter` option: the same store as
// its default, without the start-up warning written for deployments that forgot to configure one.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

import { DEV_GRANT_TYPE } from './grant.js';
import { DevAccounts, INTERACTION_PATH, serveInteraction } from './login.js';

export { DEV_GRANT_TYPE } from './grant.js';
export { requestDevToken } from './token-request.js';

/** A running development OpenID provider on loopback. Never part of the container image. */
export interface DevIssuer {
  /** Issuer identifier, `http://127.0.0.1:<port>`. */
  readonly issuer: string;
  readonly tokenEndpoint: string;
  readonly jwksUri: string;
  /** Confidential client allowed to use the dev grant. */
  readonly clientId: string;
  readonly clientSecret: string;
  /** The kit's broker as a confidential client of this issuer (authorization code + PKCE, interactive login). */
  readonly broker: { readonly clientId: string; readonly clientSecret: string };
  /**
   * The issuer's private signing key (JWK). Development and tests only: it lets a test sign tokens
   * with claims no well-behaved issuer produces (a future `nbf`, no `exp`) to prove they are refused.
   */
  readonly signingKey: Readonly<Record<string, unknown>>;
  /**
   * Calls `listener` with the subject of every access token issued from now on (the client id for
   * `client_credentials`) and of every interactive sign-in, so a development tool can name the users
   * its requests came from.
   */
  onTokenIssued(listener: (subject: string) => void): void;
  close(): Promise<void>;
}

export interface DevIssuerOptions {
  /** The MCP server's resource URLs (RFC 8707); tokens for them carry the catalog scopes. */
  readonly resources: readonly string[];
  /** Scopes a token may carry. */
  readonly scopes: readonly string[];
  /** Port on 127.0.0.1. @default 0 (any free port) */
  readonly port?: number;
  /**
   * Redirect URIs of the broker client (`<server origin>/oauth/callback`), whose sign-ins go through
   * the interactive login page. @default - none: the broker client cannot sign anyone in
   */
  readonly brokerRedirectUris?: readonly string[];
  /** Signing algorithm. @default 'ES256' */
  readonly algorithm?: 'ES256' | 'RS256';
}

interface DevGrantContext {
  devGroups?: string[];
  devTtl?: number;
}

const CLOCK_TOLERANCE_SECONDS = 15;

async function signingKey(algorithm: 'ES256' | 'RS256') {
  const { privateKey } = await generateKeyPair(algorithm, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, alg: algorithm, use: 'sig', kid: randomBytes(8).toString('hex') };
}

/**
 * Starts a certified OpenID provider (oidc-provider) on 127.0.0.1 that issues JWT access tokens
 * (`typ: at+jwt`, ES256) for the given resources. Clients: one confidential dev client using the
 * dev grant (`sub`, `scope`, `groups`, `resource`, `ttl` chosen by the caller: a developer tool, never
 * deployed) and the standard `client_credentials` grant.
 *
 * @throws when the port is taken.
 */
export async function startDevIssuer(options: DevIssuerOptions): Promise<DevIssuer> {
  const algorithm = options.algorithm ?? 'ES256';
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const clientId = 'mcp-dev-cli';
  const clientSecret = randomBytes(24).toString('base64url');
  const scopeSet = new Set(options.scopes);
  const keys = [await signingKey(algorithm)];
  const broker = { clientId: 'mcp-broker', clientSecret: randomBytes(24).toString('base64url') };
  const accounts = new DevAccounts();

  const configuration: Configuration = {
    adapter: createMemoryAdapter(CLOCK_TOLERANCE_SECONDS),
    clockTolerance: CLOCK_TOLERANCE_SECONDS,
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['client_credentials', DEV_GRANT_TYPE],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: algorithm,
        scope: ['openid', ...options.scopes].join(' '),
      },
      {
        client_id: broker.clientId,
        client_secret: broker.clientSecret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [...(options.brokerRedirectUris ?? [])],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: algorithm,
        scope: 'openid profile groups',
      },
    ],
    // The login page of the interactive sign-in (served below); consent is the broker's job.
    interactions: { url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${INTERACTION_PATH}${interaction.uid}` },
    claims: { openid: ['sub'], profile: ['preferred_username'], groups: ['groups'] },
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    jwks: { keys },
    scopes: ['openid', 'profile', 'groups', ...options.scopes],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => options.resources[0]!,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resourceIndicator: string) => ({
          // Tokens for foreign resources are issued too (with no scopes), so the server's audience
          // check can be exercised.
          scope: options.resources.includes(resourceIndicator) ? options.scopes.join(' ') : '',
          audience: resourceIndicator,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 3600,
          jwt: { sign: { alg: algorithm } },
        }),
      },
    },
    extraTokenClaims: (ctx: KoaContextWithOIDC) => {
      const groups = (ctx as unknown as DevGrantContext).devGroups;
      return groups && groups.length > 0 ? { groups } : undefined;
    },
    ttl: {
      AccessToken: (ctx: KoaContextWithOIDC) => (ctx as unknown as DevGrantContext | undefined)?.devTtl ?? 3600,
      ClientCredentials: 3600,
      IdToken: 3600,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 8 * 3600,
      AuthorizationCode: 60,
    },
    findAccount: (_ctx: KoaContextWithOIDC, sub: string) => ({
      accountId: sub,
      claims: () => ({ sub, preferred_username: sub, groups: accounts.groups(sub) }),
    }),
    enabledJWA: { authorizationSigningAlgValues: [algorithm], idTokenSigningAlgValues: [algorithm] },
  };

  const provider = new Provider(issuer, configuration);
  provider.registerGrantType(
    DEV_GRANT_TYPE,
    async (ctx: KoaContextWithOIDC) => {
      const params = ctx.oidc.params as Record<string, string | undefined>;
      const client = ctx.oidc.client!;
      const sub = params.sub ?? '';
      if (!/^[A-Za-z0-9._@-]{1,128}$/.test(sub)) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_request', error_description: 'sub must be 1-128 characters of [A-Za-z0-9._@-]' };
        return;
      }
      const requested = (params.scope ?? '').split(' ').filter((scope) => scope.length > 0);
      const unknown = requested.filter((scope) => scope !== 'openid' && !scopeSet.has(scope));
      if (unknown.length > 0) {
        ctx.status = 400;
        ctx.body = { error: 'invalid_scope', error_description: `unknown scope ${unknown.join(' ')}` };
        return;
      }
      const ttl = Number(params.ttl ?? 3600);
      const groups = (params.groups ?? '').split(',').map((group) => group.trim()).filter((group) => group.length > 0);
      Object.assign(ctx, { devGroups: groups, devTtl: Number.isInteger(ttl) && ttl > 0 && ttl <= 86_400 ? ttl : 3600 });

      const resource = params.resource ?? options.resources[0]!;
      const resourceServer = new provider.ResourceServer(resource, await configuration.features!.resourceIndicators!.getResourceServerInfo!(ctx, resource, client));
      const grantedScopes = requested.filter((scope) => scope !== 'openid' && resourceServer.scope.split(' ').includes(scope));
      const token = new provider.AccessToken({
        accountId: sub,
        client,
        gty: 'dev_token',
        scope: grantedScopes.join(' ') || undefined,
        resourceServer,
      });
      const value = await token.save();
      const body: Record<string, unknown> = {
        access_token: value,
        token_type: 'Bearer',
        expires_in: token.expiration,
        scope: token.scope,
      };
      if (requested.includes('openid')) {
        const idToken = new provider.IdToken({ sub }, { ctx });
        idToken.scope = 'openid';
        body.id_token = await idToken.issue({ use: 'idtoken' });
      }
      ctx.body = body;
    },
    ['sub', 'scope', 'groups', 'ttl', 'resource'],
  );
  const callback = provider.callback();
  server.on('request', (req, res) => {
    void serveInteraction(provider, accounts, req, res).then((served) => {
      if (!served) callback(req, res);
    });
  });

  return {
    issuer,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    clientId,
    clientSecret,
    broker,
    signingKey: keys[0]!,
    onTokenIssued: (listener) => {
      provider.on('access_token.issued', (token) => {
        if (typeof token.accountId === 'string') listener(token.accountId);
      });
      // An interactive sign-in (the broker's): the code is saved for the signed-in account.
      provider.on('authorization_code.saved', (code) => {
        if (typeof code.accountId === 'string') listener(code.accountId);
      });
      provider.on('client_credentials.issued', (token) => {
        if (typeof token.clientId === 'string') listener(token.clientId);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
