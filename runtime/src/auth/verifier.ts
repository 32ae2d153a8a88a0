import { hash } from 'node:crypto';
import { createRemoteJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { AuthConfig } from '../config/index.js';
import type { Principal } from './principal.js';

/** Why a token was refused. For logs and metrics only: the client never learns which. */
export type AuthFailureReason =
  | 'missing'
  | 'malformed'
  | 'oversized'
  | 'forbidden_header'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'claims'
  | 'audience'
  | 'token_type'
  | 'client'
  | 'keys_unavailable';

/** A refused token. `reason` is private; the HTTP layer answers a bare 401 (or 503 for `keys_unavailable`). */
export class AuthenticationError extends Error {
  override readonly name = 'AuthenticationError';
  constructor(readonly reason: AuthFailureReason) {
    super(`token refused: ${reason}`);
  }
}

/** Largest token accepted, in bytes. Larger ones are refused before any parsing. */
export const MAX_TOKEN_BYTES = 16 * 1024;

// Three base64url segments; the length cap above bounds the work of this check.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

// Header parameters that would let a token name its own key: never honoured, refused outright.
const FORBIDDEN_HEADERS = ['jwk', 'jku', 'x5u', 'x5c', 'kid_url'];

/** Verifies a bearer token and returns the principal it identifies. */
export interface TokenVerifier {
  /**
   * @param connection - the connection (socket) the token came on, when known: a verifier may
   *   remember the last token each connection presented, so the next request with the same token
   *   on the same connection skips the hash lookup. Held weakly; never shared between connections.
   */
  verify(token: string, connection?: object): Promise<Principal>;
}

export interface VerifierOptions {
  /** Key source; by default the remote JWKS of the configuration, fetched once and cached. */
  readonly keys?: JWTVerifyGetKey;
  /** Most verified tokens remembered (by SHA-256 of the token, until they expire). @default 10000 */
  readonly cacheEntries?: number;
  /** Longest a verified token is remembered, seconds. @default 300 */
  readonly cacheSeconds?: number;
  /** Clock, for tests. */
  readonly now?: () => number;
  /**
   * Refuse tokens issued longer ago than this (`iat` required, not in the future): bounds what a
   * token minted with a far `exp` is worth. Set for the kit's own tokens, whose lifetime it knows.
   * @default - no bound beyond `exp`
   */
  readonly maxTokenAgeSeconds?: number;
}

/** A verified token's principal, served until `until` (ms): its `exp`, or the cache age if sooner. */
interface CachedToken {
  readonly principal: Principal;
  readonly until: number;
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return value.split(' ').filter((item) => item.length > 0);
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function headerOf(token: string): Record<string, unknown> {
  const [encoded] = token.split('.', 1);
  try {
    const header: unknown = JSON.parse(Buffer.from(encoded!, 'base64url').toString('utf8'));
    if (header && typeof header === 'object' && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new AuthenticationError('malformed');
}

function mapJoseError(error: unknown): AuthenticationError {
  if (error instanceof AuthenticationError) return error;
  if (error instanceof joseErrors.JWTExpired) return new AuthenticationError('expired');
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return new AuthenticationError('not_yet_valid');
    if (error.claim === 'aud') return new AuthenticationError('audience');
    if (error.claim === 'typ') return new AuthenticationError('token_type');
    return new AuthenticationError('claims');
  }
  if (error instanceof joseErrors.JWKSTimeout || (error instanceof joseErrors.JOSEError && error.code === 'ERR_JWKS_INVALID')) {
    return new AuthenticationError('keys_unavailable');
  }
  if (error instanceof joseErrors.JOSEError) return new AuthenticationError('signature');
  // Network failures while fetching the JWKS surface as plain errors (fetch TypeError, aborts).
  return new AuthenticationError('keys_unavailable');
}

/**
 * Builds the token verifier for the configured profile.
 *
 * Rules (both profiles): algorithms pinned by configuration; `exp`, `iat`-independent `sub` and exact
 * `iss` required; clock tolerance from configuration (at most 60 s); no key may come from the token
 * itself (`jwk`, `jku`, `x5u`, `x5c` refused); tokens over {@link MAX_TOKEN_BYTES} refused unparsed.
 * - `oidc`: `aud` must contain the configured audience (the resource URL); `typ` must be one of the
 *   configured token types (`at+jwt` by default, so ID tokens are refused).
 * - `cognito`: `token_use` must be `access`, `client_id` in the allowlist, and only scopes of this
 *   server's resource server count (their prefix is removed).
 *
 * The JWKS is fetched once and cached; an unknown `kid` triggers at most one refetch per cooldown;
 * a JWKS that does not answer within the timeout fails closed.
 *
 * @throws AuthenticationError from `verify`, with a private reason.
 */
export function createTokenVerifier(config: AuthConfig, options: VerifierOptions = {}): TokenVerifier {
  const now = options.now ?? Date.now;
  let keys = options.keys;
  const resolveKeys = async (): Promise<JWTVerifyGetKey> => {
    if (keys) return keys;
    const jwksUrl = config.jwksUrl ?? (await discoverJwksUrl(config.issuer, config.jwks.timeoutMs));
    keys = createRemoteJWKSet(new URL(jwksUrl), {
      timeoutDuration: config.jwks.timeoutMs,
      cooldownDuration: config.jwks.cooldownSeconds * 1000,
      cacheMaxAge: config.jwks.maxAgeSeconds * 1000,
    });
    return keys;
  };

  const cacheEntries = options.cacheEntries ?? 10_000;
  const cacheMillis = (options.cacheSeconds ?? 300) * 1000;
  // Insertion-ordered map used as a bounded LRU: key is a hash of the token, never the token.
  const cache = new Map<string, CachedToken>();
  // The last token each connection presented and its cache entry (same principal, same `until`),
  // so a keep-alive client sending the same token again costs one string comparison instead of a
  // SHA-256 and an LRU update. The token is compared only with what the same connection sent
  // before, held only while that connection lives (a WeakMap on the socket), and never served past
  // the `until` of the entry it copies: expiry and the cache's own age bound hold exactly as above.
  const byConnection = new WeakMap<object, { token: string; entry: CachedToken }>();

  const toPrincipal = (payload: JWTPayload): Principal => {
    const sub = payload.sub;
    if (typeof sub !== 'string' || sub.length === 0 || typeof payload.exp !== 'number') {
      throw new AuthenticationError('claims');
    }
    let scopes = unique(stringList(payload.scope ?? payload.scp));
    let clientId = [payload.client_id, payload.azp, payload.cid, payload.appid].find(
      (value): value is string => typeof value === 'string' && value.length > 0,
    );
    if (config.profile === 'cognito') {
      if (payload.token_use !== 'access') throw new AuthenticationError('token_type');
      if (typeof payload.client_id !== 'string' || !config.clientIds.includes(payload.client_id)) {
        throw new AuthenticationError('client');
      }
      clientId = payload.client_id;
      const prefix = `${config.resourceServerId.replace(/\/+$/, '')}/`;
      scopes = scopes.filter((scope) => scope.startsWith(prefix)).map((scope) => scope.slice(prefix.length));
    }
    return {
      issuer: config.issuer,
      subject: sub,
      clientId: clientId ?? 'unknown',
      scopes,
      groups: unique(stringList(payload.groups ?? payload['cognito:groups'])),
      expiresAt: payload.exp,
    };
  };

  const verifyUncached = async (token: string): Promise<Principal> => {
    const header = headerOf(token);
    if (FORBIDDEN_HEADERS.some((name) => name in header)) throw new AuthenticationError('forbidden_header');
    if (typeof header.alg !== 'string' || !config.algorithms.includes(header.alg)) throw new AuthenticationError('signature');
    if (config.profile === 'oidc' && config.tokenTypes.length > 0) {
      const typ = typeof header.typ === 'string' ? header.typ.toLowerCase().replace(/^application\//, '') : '';
      if (!config.tokenTypes.includes(typ)) throw new AuthenticationError('token_type');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await resolveKeys(), {
        issuer: config.issuer,
        algorithms: [...config.algorithms],
        clockTolerance: config.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
        currentDate: new Date(now()),
        ...(options.maxTokenAgeSeconds !== undefined ? { maxTokenAge: options.maxTokenAgeSeconds } : {}),
        ...(config.profile === 'oidc' ? { audience: config.audience } : {}),
      }));
    } catch (error) {
      throw mapJoseError(error);
    }
    return toPrincipal(payload);
  };

  return {
    async verify(token: string, connection?: object): Promise<Principal> {
      const current = now();
      if (connection !== undefined) {
        const last = byConnection.get(connection);
        // Equal to a token this connection presented and that passed every check below.
        if (last !== undefined && last.token === token && last.entry.until > current) return last.entry.principal;
      }
      if (token.length === 0) throw new AuthenticationError('missing');
      if (token.length > MAX_TOKEN_BYTES) throw new AuthenticationError('oversized');
      if (!COMPACT_JWS.test(token)) throw new AuthenticationError('malformed');
      const key = hash('sha256', token, 'base64url');
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        if (hit.until > current) {
          cache.set(key, hit);
          if (connection !== undefined) byConnection.set(connection, { token, entry: hit });
          return hit.principal;
        }
      }
      const principal = await verifyUncached(token);
      const until = Math.min(principal.expiresAt * 1000, current + cacheMillis);
      if (until > current && cacheEntries > 0) {
        if (cache.size >= cacheEntries) cache.delete(cache.keys().next().value!);
        const entry = { principal, until };
        cache.set(key, entry);
        if (connection !== undefined) byConnection.set(connection, { token, entry });
      } else if (connection !== undefined) {
        byConnection.delete(connection);
      }
      return principal;
    },
  };
}

async function discoverJwksUrl(issuer: string, timeoutMs: number): Promise<string> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const metadata = (await response.json()) as { issuer?: unknown; jwks_uri?: unknown };
    if (metadata.issuer !== issuer || typeof metadata.jwks_uri !== 'string') throw new Error('issuer metadata mismatch');
    return metadata.jwks_uri;
  } catch {
    throw new AuthenticationError('keys_unavailable');
  }
}

/**
 * Extracts the bearer token from an `Authorization` header value. Tokens are read from this header
 * only: never from the query string, a cookie or the body.
 *
 * @returns the token, or `undefined` when the header is absent or not a single Bearer credential.
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (!authorization) return undefined;
  const space = authorization.indexOf(' ');
  if (space <= 0) return undefined;
  if (authorization.slice(0, space).toLowerCase() !== 'bearer') return undefined;
  const token = authorization.slice(space + 1).trim();
  return token.length > 0 && !token.includes(' ') ? token : undefined;
}

/**
 * One verifier for tokens of several issuers: the unverified `iss` only picks which verifier checks
 * the token (each still requires its own exact issuer, keys, audience and type), so a token cannot
 * choose weaker rules than those of the issuer it names.
 *
 * @param byIssuer - verifiers keyed by exact issuer; tokens of other issuers go to `fallback`.
 */
export function verifierByIssuer(byIssuer: ReadonlyMap<string, TokenVerifier>, fallback: TokenVerifier): TokenVerifier {
  // Which verifier the last token of each connection went to: the same token names the same
  // issuer, so it is not decoded again. Only the routing is remembered; the chosen verifier still
  // checks the token (from its own cache or afresh).
  const routed = new WeakMap<object, { token: string; verifier: TokenVerifier }>();
  return {
    verify(token, connection) {
      const last = connection === undefined ? undefined : routed.get(connection);
      if (last !== undefined && last.token === token) return last.verifier.verify(token, connection);
      let issuer: unknown;
      try {
        if (token.length <= MAX_TOKEN_BYTES) issuer = decodeJwt(token).iss;
      } catch {
        // malformed tokens are refused by the fallback with its own reason
      }
      const verifier = (typeof issuer === 'string' ? byIssuer.get(issuer) : undefined) ?? fallback;
      if (connection !== undefined) routed.set(connection, { token, verifier });
      return verifier.verify(token, connection);
    },
  };
}
