import { z } from 'zod';

/**
 * The `signIn` section of the deployment configuration: the kit's own OAuth authorization server in
 * front of the identity provider, the broker's client at an external provider and its secret, and
 * which AI clients may sign in. The checks that need the rest of an environment (its account,
 * regions, identity kind and WAF limits) are in `config.ts`.
 */

/** Partitions whose Secrets Manager ARNs a secret reference may name. */
export const SECRET_ARN = /^arn:(aws|aws-cn|aws-us-gov):secretsmanager:([a-z0-9-]+):(\d{12}):secret:([A-Za-z0-9/_+=.@-]{1,512})$/;
/** Secrets Manager appends "-" and six random characters to a name: a name that already ends so is ambiguous in a partial ARN. */
const SECRET_SUFFIX = /-[A-Za-z0-9]{6}$/;

/**
 * A Secrets Manager secret: its name, or its full ARN (with the six-character suffix). Each service
 * region reads its own replica: the same name, or the same ARN with that region in it.
 */
const secretReference = z
  .string()
  .min(1)
  .max(2048)
  .superRefine((value, ctx) => {
    if (value.startsWith('arn:')) {
      const match = SECRET_ARN.exec(value);
      if (!match) {
        ctx.addIssue({ code: 'custom', message: 'must be a Secrets Manager secret ARN, arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 characters>' });
      } else if (!SECRET_SUFFIX.test(match[4]!)) {
        ctx.addIssue({ code: 'custom', message: 'must be the full secret ARN, ending in the six characters Secrets Manager appends to the name' });
      }
      return;
    }
    if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be a Secrets Manager secret name (letters, digits and /_+=.@-) or a secret ARN' });
    } else if (SECRET_SUFFIX.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must not end in "-" and six characters (Secrets Manager cannot tell such a name from a partial ARN); use the full ARN or rename the secret' });
    }
  });

/**
 * A client the sign-in administrators allow or refuse: a Client ID Metadata Document URL exactly as
 * clients send it (`https://vscode.dev/oauth/client-metadata.json`) or a host (`claude.ai`). Parsed
 * with `URL`, as the runtime matches it.
 */
const clientReference = z.string().superRefine((value, ctx) => {
  let ok = false;
  if (value.startsWith('https://')) {
    try {
      const url = new URL(value);
      ok = url.href === value && url.pathname !== '/' && !url.username && !url.password && !url.hash && !url.search;
    } catch {
      ok = false;
    }
  } else if (!value.includes('/') && !value.includes(',')) {
    try {
      const url = new URL(`https://${value}`);
      ok = url.host === value && url.pathname === '/';
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    ctx.addIssue({
      code: 'custom',
      message: 'must be a client metadata document URL (https, with a path, no query or fragment) or a lower-case host such as "claude.ai"',
    });
  }
});

/** Scopes the broker asks the upstream identity provider for: the name, e-mail and groups of the user. */
export const DEFAULT_UPSTREAM_SCOPES = ['openid', 'email', 'profile'] as const;

export const signInSchema = z.strictObject({
  /**
   * Runs the kit's own OAuth authorization server (`MCP_BROKER=on`), so stock MCP clients sign in with
   * no pre-registered client: Client ID Metadata Documents and dynamic registration, consent, and the
   * user signed in at the identity provider. Machine clients keep using the identity provider's tokens.
   */
  enabled: z.boolean().default(false),
  /** Dynamic client registration (RFC 7591, public clients only; `MCP_BROKER_DCR`). */
  dynamicRegistration: z.boolean().default(true),
  /** Client ID Metadata Documents (`MCP_BROKER_CIMD`). */
  clientMetadataDocuments: z.boolean().default(true),
  /** Only these metadata document URLs or hosts may sign in (`MCP_BROKER_CIMD_ALLOW`); empty: every one not denied. */
  allowClients: z.array(clientReference).max(100).default([]),
  /** These metadata document URLs or hosts may not sign in (`MCP_BROKER_CIMD_DENY`). */
  denyClients: z.array(clientReference).max(100).default([]),
  /** Lifetime of the kit's access tokens in minutes (`MCP_BROKER_ACCESS_TOKEN_SECONDS`). */
  accessTokenMinutes: z.number().int().min(1).max(60).default(10),
  /** Lifetime of a refresh-token family in days (`MCP_BROKER_REFRESH_TOKEN_SECONDS`); rotation never extends it. */
  refreshTokenDays: z.number().int().min(1).max(90).default(14),
  /** Dynamic registrations one client address may make per minute on one task (the WAF limits the fleet). */
  registrationsPerMinute: z.number().int().min(1).max(10_000).default(20),
  /** Token requests one client address may make per minute on one task (the WAF limits the fleet). */
  tokenRequestsPerMinute: z.number().int().min(1).max(100_000).default(120),
  /**
   * The broker's client at an external OpenID provider (`identity.kind` "oidc" only; with Cognito the
   * kit creates the client). Register `https://<domainName>/oauth/callback` as its redirect URI.
   */
  upstream: z
    .strictObject({
      /** The provider's issuer (OIDC discovery at `<issuer>/.well-known/openid-configuration`). @default identity.issuer */
      issuer: z.url('must be a URL').refine((value) => value.startsWith('https://'), 'must use https').optional(),
      /** The client id the provider gave the broker's confidential client. */
      clientId: z.string().regex(/^[\x21-\x7e]{1,256}$/, 'must be 1-256 printable characters without spaces'),
      /** The client secret in Secrets Manager: secret name or full ARN, replicated to every service region. */
      clientSecret: secretReference,
      /** Scopes asked of the provider; must include "openid". Add the provider's groups scope if it has one. */
      scopes: z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]{1,128}$/, 'must be an OAuth scope name'))
        .min(1)
        .default([...DEFAULT_UPSTREAM_SCOPES])
        .refine((scopes) => scopes.includes('openid'), 'must include "openid"'),
    })
    .optional(),
});
