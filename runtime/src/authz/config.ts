import { z } from 'zod';

/** Thrown when the broker's environment variables are inconsistent; the message names the variable. */
export class BrokerConfigError extends Error {
  override readonly name = 'BrokerConfigError';
}

const csv = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()).filter((item) => item.length > 0));
const integer = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['on', 'off']);

/**
 * Environment variables of the authorization server ("broker"). Documented in the README's
 * configuration table; names are the contract with the CDK task definition.
 */
export const brokerEnvironmentSchema = z.object({
  MCP_BROKER: flag.default('off'),
  MCP_BROKER_UPSTREAM_ISSUER: z.url().optional(),
  MCP_BROKER_UPSTREAM_CLIENT_ID: z.string().min(1).max(256).optional(),
  MCP_BROKER_UPSTREAM_CLIENT_SECRET: z.string().min(1).max(1024).optional(),
  MCP_BROKER_UPSTREAM_SCOPES: csv.default(['openid']),
  MCP_BROKER_SIGNING_KEY: z.string().min(1).max(8192).optional(),
  MCP_BROKER_SIGNING_KEY_ID: z.string().min(1).max(2048).optional(),
  MCP_BROKER_VERIFY_KEY_IDS: csv.pipe(z.array(z.string().max(2048)).max(4)).default([]),
  MCP_BROKER_ACCESS_TOKEN_SECONDS: integer(60, 3600).default(600),
  MCP_BROKER_REFRESH_TOKEN_SECONDS: integer(300, 90 * 86_400).default(14 * 86_400),
  MCP_BROKER_DCR: flag.default('on'),
  MCP_BROKER_CIMD: flag.default('on'),
  MCP_BROKER_CIMD_ALLOW: csv.default([]),
  MCP_BROKER_CIMD_DENY: csv.default([]),
  MCP_BROKER_CIMD_ALLOW_LOOPBACK: flag.default('off'),
  MCP_BROKER_DCR_UNUSED_SECONDS: integer(300, 90 * 86_400).default(7 * 86_400),
  MCP_BROKER_REGISTRATIONS_PER_MINUTE: integer(1, 10_000).default(20),
  MCP_BROKER_TOKEN_REQUESTS_PER_MINUTE: integer(1, 100_000).default(120),
});

/** The validated settings of the authorization server. */
export interface BrokerConfig {
  /** The issuer identifier: the server's own origin (`https://mcp.example.com`). */
  readonly issuer: string;
  /** The resource every access token is bound to (`aud`): the MCP endpoint's URL. */
  readonly resource: string;
  readonly upstream: {
    /** The enterprise identity provider's issuer (OIDC discovery at `<issuer>/.well-known/openid-configuration`). */
    readonly issuer: string;
    readonly clientId: string;
    readonly clientSecret: string;
    readonly scopes: readonly string[];
  };
  /**
   * The access-token signing key (see the README on key custody). In a deployment a KMS multi-Region
   * key (`MCP_BROKER_SIGNING_KEY_ID`): every region signs with its replica of the same key material,
   * so each verifies the tokens of all. For `npm run dev` and tests a private EC P-256 JWK as JSON
   * text (`MCP_BROKER_SIGNING_KEY`).
   */
  readonly signingKey:
    | { readonly kind: 'local'; readonly jwk: string }
    | {
        readonly kind: 'kms';
        /** Key id, key ARN, alias name or alias ARN, in this task's region. */
        readonly keyId: string;
        /** Keys published in the JWKS and accepted, but not used to sign: the old or new key during a rotation. */
        readonly verifyKeyIds: readonly string[];
      };
  readonly accessTokenSeconds: number;
  readonly refreshTokenSeconds: number;
  readonly registration: {
    readonly enabled: boolean;
    /** A dynamic registration unused this long expires. */
    readonly unusedSeconds: number;
    readonly perMinute: number;
  };
  readonly tokenRequestsPerMinute: number;
  /** Client ID Metadata Documents: on or off, and the administrators' lists of URLs or hosts. */
  readonly metadataDocuments: {
    readonly enabled: boolean;
    readonly allow: readonly string[];
    readonly deny: readonly string[];
    /** Development only (loopback public URL): documents on https://127.0.0.1 or https://localhost. */
    readonly allowLoopback: boolean;
  };
}

function required<T>(variable: string, value: T | undefined): T {
  if (value === undefined) throw new BrokerConfigError(`${variable} is required when MCP_BROKER is on (got unset)`);
  return value;
}

/** Exactly one signing key: KMS (`MCP_BROKER_SIGNING_KEY_ID`) or a local JWK (`MCP_BROKER_SIGNING_KEY`). */
function signingKeyOf(e: z.output<typeof brokerEnvironmentSchema>): BrokerConfig['signingKey'] {
  if (e.MCP_BROKER_SIGNING_KEY !== undefined && e.MCP_BROKER_SIGNING_KEY_ID !== undefined) {
    throw new BrokerConfigError('MCP_BROKER_SIGNING_KEY and MCP_BROKER_SIGNING_KEY_ID must not both be set (got both)');
  }
  if (e.MCP_BROKER_SIGNING_KEY_ID !== undefined) return { kind: 'kms', keyId: e.MCP_BROKER_SIGNING_KEY_ID, verifyKeyIds: e.MCP_BROKER_VERIFY_KEY_IDS };
  if (e.MCP_BROKER_VERIFY_KEY_IDS.length > 0) {
    throw new BrokerConfigError(`MCP_BROKER_VERIFY_KEY_IDS needs MCP_BROKER_SIGNING_KEY_ID (got "${e.MCP_BROKER_VERIFY_KEY_IDS.join(',')}")`);
  }
  return { kind: 'local', jwk: required('MCP_BROKER_SIGNING_KEY_ID or MCP_BROKER_SIGNING_KEY', e.MCP_BROKER_SIGNING_KEY) };
}

/**
 * Reads the broker settings, or `undefined` when `MCP_BROKER` is `off` (the default).
 *
 * @param publicUrl - the MCP endpoint's public URL: its origin is the issuer, the URL the resource.
 * @throws BrokerConfigError naming the first bad variable.
 */
export function loadBrokerConfig(env: Record<string, string | undefined>, publicUrl: URL): BrokerConfig | undefined {
  const known = Object.fromEntries(
    Object.keys(brokerEnvironmentSchema.shape)
      .filter((key) => env[key] !== undefined && env[key] !== '')
      .map((key) => [key, env[key]]),
  );
  const parsed = brokerEnvironmentSchema.safeParse(known);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0]);
    const shown = variable.endsWith('_SECRET') || variable.endsWith('_KEY') ? '[hidden]' : `"${String(env[variable])}"`;
    throw new BrokerConfigError(`${variable} is invalid: ${issue.message.toLowerCase()} (got ${shown})`);
  }
  const e = parsed.data;
  if (e.MCP_BROKER === 'off') return undefined;
  const upstreamIssuer = required('MCP_BROKER_UPSTREAM_ISSUER', e.MCP_BROKER_UPSTREAM_ISSUER);
  if (!e.MCP_BROKER_UPSTREAM_SCOPES.includes('openid')) {
    throw new BrokerConfigError(`MCP_BROKER_UPSTREAM_SCOPES must include openid (got "${e.MCP_BROKER_UPSTREAM_SCOPES.join(',')}")`);
  }
  const loopbackServer = ['127.0.0.1', 'localhost', '[::1]'].includes(publicUrl.hostname);
  if (e.MCP_BROKER_CIMD_ALLOW_LOOPBACK === 'on' && !loopbackServer) {
    throw new BrokerConfigError(`MCP_BROKER_CIMD_ALLOW_LOOPBACK may only be on for a loopback MCP_PUBLIC_URL (got "${publicUrl.href}")`);
  }
  return {
    issuer: publicUrl.origin,
    resource: publicUrl.href,
    upstream: {
      issuer: upstreamIssuer,
      clientId: required('MCP_BROKER_UPSTREAM_CLIENT_ID', e.MCP_BROKER_UPSTREAM_CLIENT_ID),
      clientSecret: required('MCP_BROKER_UPSTREAM_CLIENT_SECRET', e.MCP_BROKER_UPSTREAM_CLIENT_SECRET),
      scopes: e.MCP_BROKER_UPSTREAM_SCOPES,
    },
    signingKey: signingKeyOf(e),
    accessTokenSeconds: e.MCP_BROKER_ACCESS_TOKEN_SECONDS,
    refreshTokenSeconds: e.MCP_BROKER_REFRESH_TOKEN_SECONDS,
    registration: {
      enabled: e.MCP_BROKER_DCR === 'on',
      unusedSeconds: e.MCP_BROKER_DCR_UNUSED_SECONDS,
      perMinute: e.MCP_BROKER_REGISTRATIONS_PER_MINUTE,
    },
    tokenRequestsPerMinute: e.MCP_BROKER_TOKEN_REQUESTS_PER_MINUTE,
    metadataDocuments: {
      enabled: e.MCP_BROKER_CIMD === 'on',
      allow: e.MCP_BROKER_CIMD_ALLOW,
      deny: e.MCP_BROKER_CIMD_DENY,
      allowLoopback: e.MCP_BROKER_CIMD_ALLOW_LOOPBACK === 'on',
    },
  };
}
