import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { displayText, hostOf, redirectUriProblem, type ClientRecord } from './clients.js';
import { OAuthError } from './errors.js';

/** Largest metadata document accepted, bytes. */
export const MAX_CIMD_BYTES = 5 * 1024;
const TIMEOUT_MS = 3000;
const CACHE_ENTRIES = 500;
const DEFAULT_CACHE_SECONDS = 300;
const MAX_CACHE_SECONDS = 3600;

/**
 * Addresses a metadata document may never be fetched from: loopback, private, carrier-grade NAT,
 * link-local (which holds the cloud metadata service 169.254.169.254), unique-local, multicast,
 * unspecified, documentation ranges and the EC2 IPv6 metadata address.
 */
function blockedAddresses(): BlockList {
  const list = new BlockList();
  for (const [net, prefix] of [
    ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
    ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
    ['224.0.0.0', 4], ['240.0.0.0', 4],
  ] as const) list.addSubnet(net, prefix, 'ipv4');
  for (const [net, prefix] of [
    ['::', 128], ['::1', 128], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8], ['2001:db8::', 32], ['64:ff9b::', 96], ['fd00:ec2::254', 128],
  ] as const) list.addSubnet(net, prefix, 'ipv6');
  return list;
}
const BLOCKED = blockedAddresses();
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** Whether an IP address is one a metadata document may come from. */
export function isPublicAddress(address: string, allowLoopback = false): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allowLoopback && LOOPBACK.check(address, type)) return true;
  // IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry.
  const mapped = type === 'ipv6' && address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : undefined;
  if (mapped && isIP(mapped) === 4) return isPublicAddress(mapped, allowLoopback);
  return !BLOCKED.check(address, type);
}

/** Administrators' choice of which metadata documents may be used. */
export interface CimdPolicy {
  /** Exact client_id URLs or hosts allowed; empty: every host not denied. */
  readonly allow: readonly string[];
  /** Exact client_id URLs or hosts refused. */
  readonly deny: readonly string[];
  /** Development only: documents on `https://127.0.0.1` / `https://localhost` (trusted through NODE_EXTRA_CA_CERTS). */
  readonly allowLoopback: boolean;
}

const documentSchema = z
  .object({
    client_id: z.string(),
    client_name: z.string().max(200).optional(),
    redirect_uris: z.array(z.string()).min(1).max(20),
    grant_types: z.array(z.string()).max(4).optional(),
    response_types: z.array(z.string()).max(2).optional(),
    token_endpoint_auth_method: z.string().max(64).optional(),
  })
  .loose();

function listed(list: readonly string[], url: URL): boolean {
  return list.includes(url.href) || list.includes(url.host) || list.includes(url.hostname);
}

/**
 * Parses a client_id that is a metadata document URL, applying the administrators' lists.
 *
 * @throws OAuthError `invalid_client` for anything but an allowed https URL with a path.
 */
export function cimdUrl(clientId: string, policy: CimdPolicy): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new OAuthError('invalid_client', 'client_id is not a valid URL');
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.hash || clientId.includes('#') || url.pathname === '/' || url.href !== clientId) {
    throw new OAuthError('invalid_client', 'a client_id URL must be a plain https URL with a path');
  }
  if (listed(policy.deny, url) || (policy.allow.length > 0 && !listed(policy.allow, url))) {
    throw new OAuthError('invalid_client', 'this client is not allowed on this server');
  }
  return url;
}

/** Fetches the document from one vetted address: no redirects, size cap, timeout, certificate checked for the host. */
function fetchDocument(url: URL, address: string, family: number, ca?: string): Promise<{ body: string; maxAge?: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port || 443,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': 'enterprise-mcp-kit' },
        // The connection goes to the address that was checked, never to a second DNS answer.
        lookup: (_host, _options, callback) => callback(null, address, family),
        servername: isIP(url.hostname) ? undefined : url.hostname,
        timeout: TIMEOUT_MS,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          reject(new Error(`status ${res.statusCode}`));
          return;
        }
        let size = 0;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_CIMD_BYTES) {
            // Destroyed without an error object: one on the socket would have no listener left.
            reject(new Error('document too large'));
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          const maxAge = /max-age=(\d+)/.exec(String(res.headers['cache-control'] ?? ''))?.[1];
          resolve({ body: Buffer.concat(chunks).toString('utf8'), ...(maxAge ? { maxAge: Number(maxAge) } : {}) });
        });
        res.on('error', reject);
        res.on('aborted', () => reject(new Error('aborted')));
      },
    );
    const giveUp = () => {
      reject(new Error('timeout'));
      req.destroy();
    };
    const deadline = setTimeout(giveUp, TIMEOUT_MS);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', giveUp);
    req.on('error', reject);
    req.end();
  });
}

/**
 * Resolves Client ID Metadata Documents (the client_id is an https URL): fetched SSRF-safe, checked
 * (`client_id` equals the URL, redirect URIs, public client, grant types) and cached within bounds.
 */
export class ClientMetadataResolver {
  readonly #cache = new Map<string, { record: ClientRecord; until: number }>();

  constructor(
    private readonly policy: CimdPolicy,
    private readonly options: { ca?: string; now?: () => number } = {},
  ) {}

  /** @throws OAuthError `invalid_client` for a document that cannot be used, whatever the reason. */
  async resolve(clientId: string): Promise<ClientRecord> {
    const url = cimdUrl(clientId, this.policy);
    const now = (this.options.now ?? Date.now)();
    const cached = this.#cache.get(clientId);
    if (cached && cached.until > now) return cached.record;
    this.#cache.delete(clientId);

    const host = hostOf(url);
    const literal = isIP(host);
    let addresses: Array<{ address: string; family: number }>;
    try {
      addresses = literal ? [{ address: host, family: literal }] : await lookup(url.hostname, { all: true });
    } catch (error) {
      throw new OAuthError('invalid_client', 'the client metadata document cannot be fetched', { cause: error });
    }
    const loopbackHost = url.hostname === 'localhost' || literal !== 0;
    const allowLoopback = this.policy.allowLoopback && loopbackHost;
    if (addresses.length === 0 || !addresses.every((entry) => isPublicAddress(entry.address, allowLoopback))) {
      throw new OAuthError('invalid_client', 'the client metadata document is on an address this server does not fetch from');
    }
    let fetched: { body: string; maxAge?: number };
    try {
      fetched = await fetchDocument(url, addresses[0]!.address, addresses[0]!.family, this.options.ca);
    } catch (error) {
      throw new OAuthError('invalid_client', 'the client metadata document cannot be fetched', { cause: error });
    }
    let parsed;
    try {
      parsed = documentSchema.safeParse(JSON.parse(fetched.body));
    } catch {
      throw new OAuthError('invalid_client', 'the client metadata document is not JSON');
    }
    if (!parsed.success) throw new OAuthError('invalid_client', 'the client metadata document is not valid client metadata');
    const document = parsed.data;
    if (document.client_id !== clientId) throw new OAuthError('invalid_client', 'the client metadata document names another client_id');
    if ((document.token_endpoint_auth_method ?? 'none') !== 'none') throw new OAuthError('invalid_client', 'only public clients may use a metadata document');
    const grantTypes = document.grant_types ?? ['authorization_code'];
    if (!grantTypes.includes('authorization_code') || grantTypes.some((grant) => grant !== 'authorization_code' && grant !== 'refresh_token')) {
      throw new OAuthError('invalid_client', 'the client metadata document asks for grant types this server does not offer');
    }
    if (document.redirect_uris.some((uri) => redirectUriProblem(uri) !== undefined)) throw new OAuthError('invalid_client', 'the client metadata document has an unusable redirect URI');
    const record: ClientRecord = {
      clientId,
      kind: 'metadata',
      name: displayText(document.client_name ?? '', 100) || url.host,
      redirectUris: [...new Set(document.redirect_uris)],
      grantTypes: [...new Set(grantTypes)],
    };
    const seconds = Math.min(fetched.maxAge ?? DEFAULT_CACHE_SECONDS, MAX_CACHE_SECONDS);
    if (this.#cache.size >= CACHE_ENTRIES) this.#cache.delete(this.#cache.keys().next().value!);
    this.#cache.set(clientId, { record, until: now + seconds * 1000 });
    return record;
  }
}
