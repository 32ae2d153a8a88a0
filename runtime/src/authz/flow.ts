import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ClientMetadataResolver } from './cimd.js';
import type { ClientRecord } from './clients.js';
import type { BrokerConfig } from './config.js';
import { OAuthError } from './errors.js';
import { digest, type AuthzStore } from './store.js';
import type { UpstreamIdentity, UpstreamLeg } from './upstream.js';

/** Longest a sign-in may take from `/authorize` to the consent decision or the upstream return, seconds. */
export const FLOW_SECONDS = 600;
/** Lifetime of an authorization code, seconds (single use either way). */
export const CODE_SECONDS = 60;
/** How long the browser's remembered sign-in (for skipping a remembered consent) lasts, seconds. */
export const BROWSER_SECONDS = 30 * 86_400;

/** A validated authorization request, waiting for consent and the upstream sign-in. */
export interface Flow {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state?: string;
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly csrf: string;
  /** The user allowed this client in this browser during this flow. */
  readonly approved: boolean;
  readonly upstream?: UpstreamLeg;
  /** Known once the upstream sign-in returned (consent asked after the sign-in). */
  readonly user?: UpstreamIdentity;
}

/** What an authorization code stands for. */
export interface CodeGrant {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly scopes: readonly string[];
  readonly resource: string;
  readonly user: UpstreamIdentity;
}

/** A remembered consent of one user for one client. */
export interface Consent {
  readonly scopes: readonly string[];
  /** Epoch seconds of the user's choice. */
  readonly grantedAt: number;
  /** The client's name as the consent page showed it (absent on consents remembered before names were kept). */
  readonly clientName?: string;
  /** The host of the client's metadata document; absent for a dynamic (unverified) registration. */
  readonly verifiedHost?: string;
}

/** One of a user's remembered consents, as the consents page lists it. */
export interface ListedConsent extends Consent {
  readonly clientId: string;
}

/** Equal-time comparison of two strings. */
export function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A new random secret (256 bits, base64url). */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

// RFC 7636 §4.1: 43 to 128 characters of the unreserved set.
const PKCE_VALUE = /^[A-Za-z0-9._~-]{43,128}$/;

/** Whether a `code_challenge` / `code_verifier` has the RFC 7636 shape. */
export function isPkceValue(value: string | undefined): value is string {
  return typeof value === 'string' && PKCE_VALUE.test(value);
}

/** Whether `verifier` is the S256 pre-image of `challenge` (RFC 7636 §4.6). */
export function pkceMatches(verifier: string, challenge: string): boolean {
  return sameSecret(createHash('sha256').update(verifier).digest('base64url'), challenge);
}

/** The user key of consents and refresh tokens: `<idp issuer>|<subject>`, hashed in the table. */
export function userKey(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>): string {
  return digest(`${user.issuer}|${user.subject}`);
}

/**
 * The state of sign-ins in the store: flows, codes, consents, remembered browsers. Each secret is
 * stored by digest; codes are taken (deleted and read in one step), so each is redeemed once.
 */
export class FlowStore {
  constructor(private readonly store: AuthzStore) {}

  async startFlow(flow: Flow): Promise<string> {
    const id = newSecret();
    await this.store.put('flow', digest(id), flow, this.store.expiry(FLOW_SECONDS));
    return id;
  }

  readFlow(id: string): Promise<Flow | undefined> {
    return this.store.get<Flow>('flow', digest(id));
  }

  async updateFlow(id: string, flow: Flow): Promise<void> {
    await this.store.put('flow', digest(id), flow, this.store.expiry(FLOW_SECONDS));
  }

  /** Removes the flow and returns it: of two concurrent returns from the IdP, one proceeds. */
  takeFlow(id: string): Promise<Flow | undefined> {
    return this.store.take<Flow>('flow', digest(id));
  }

  async issueCode(grant: CodeGrant): Promise<string> {
    const code = newSecret();
    await this.store.put('code', digest(code), grant, this.store.expiry(CODE_SECONDS));
    return code;
  }

  /** Reads a live code without spending it (the token endpoint signs first, then redeems). */
  readCode(code: string): Promise<CodeGrant | undefined> {
    return this.store.get<CodeGrant>('code', digest(code));
  }

  redeemCode(code: string): Promise<CodeGrant | undefined> {
    return this.store.take<CodeGrant>('code', digest(code));
  }

  async rememberConsent(user: UpstreamIdentity, client: Pick<ClientRecord, 'clientId' | 'kind' | 'name'>, scopes: readonly string[], seconds: number): Promise<void> {
    const consent: Consent = {
      scopes,
      grantedAt: Math.floor(Date.now() / 1000),
      clientName: client.name,
      ...(client.kind === 'metadata' ? { verifiedHost: new URL(client.clientId).host } : {}),
    };
    await this.store.put('consent', userKey(user), consent, this.store.expiry(seconds), { sort: client.clientId });
  }

  /** Every live consent of the user (at most the store's listing bound), by client id. */
  async listConsents(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>): Promise<ListedConsent[]> {
    return (await this.store.list<Consent>('consent', userKey(user))).map(({ sort, data }) => ({ ...data, clientId: sort }));
  }

  readConsent(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>, clientId: string): Promise<Consent | undefined> {
    return this.store.get<Consent>('consent', userKey(user), clientId);
  }

  revokeConsent(user: Pick<UpstreamIdentity, 'issuer' | 'subject'>, clientId: string): Promise<void> {
    return this.store.remove('consent', userKey(user), clientId);
  }

  async rememberBrowser(user: UpstreamIdentity): Promise<string> {
    const id = newSecret();
    await this.store.put('browser', digest(id), { issuer: user.issuer, subject: user.subject }, this.store.expiry(BROWSER_SECONDS));
    return id;
  }

  readBrowser(id: string): Promise<Pick<UpstreamIdentity, 'issuer' | 'subject'> | undefined> {
    return this.store.get('browser', digest(id));
  }
}

/** Whether a remembered consent covers the scopes asked for now. */
export function consentCovers(consent: Consent | undefined, scopes: readonly string[]): boolean {
  return consent !== undefined && scopes.every((scope) => consent.scopes.includes(scope));
}

/**
 * The client's redirect with the authorization response parameters, `iss` always included (RFC 9207).
 */
export function clientRedirect(config: BrokerConfig, flow: Pick<Flow, 'redirectUri' | 'state'>, params: Record<string, string>): string {
  const url = new URL(flow.redirectUri);
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  if (flow.state !== undefined) url.searchParams.set('state', flow.state);
  url.searchParams.set('iss', config.issuer);
  return url.href;
}

/**
 * The registration of a client: a metadata document when the client_id is an https URL (and
 * `documents` is given), else a dynamic registration. Throws an OAuth error the caller shows as a
 * page (never as a redirect).
 */
export async function loadClient(store: AuthzStore, clientId: string | undefined, documents?: ClientMetadataResolver): Promise<ClientRecord> {
  if (!clientId || clientId.length > 2048) throw new OAuthError('invalid_client', 'unknown client');
  if (clientId.startsWith('https://')) {
    if (!documents) throw new OAuthError('invalid_client', 'client metadata documents are turned off on this server');
    return documents.resolve(clientId);
  }
  const client = await store.get<ClientRecord>('client', clientId);
  if (!client) throw new OAuthError('invalid_client', 'unknown client');
  return client;
}
