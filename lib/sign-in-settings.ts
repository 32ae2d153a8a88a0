import type { Duration } from 'aws-cdk-lib';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';

/** A setting handed to the runtime: a literal value, or an SSM parameter (by ARN) read when a task starts. */
export type RuntimeSetting = { readonly value: string } | { readonly parameterArn: string };

/**
 * The kit's sign-in broker in one region (`MCP_BROKER=on`): the runtime's OAuth authorization server
 * in front of the identity provider. The issuer and resource are the service's public URL; the
 * broker's state lives in the session table, with the actions the task role already has.
 */
export interface McpServiceSignIn {
  /** The upstream identity provider's issuer (OIDC discovery). */
  readonly upstreamIssuer: RuntimeSetting;
  /** The broker's client id at the identity provider. */
  readonly upstreamClientId: RuntimeSetting;
  /** The broker's client secret; the execution role may read this one secret. */
  readonly upstreamClientSecret: ISecret;
  /** Scopes asked of the identity provider (`openid` among them). */
  readonly upstreamScopes: readonly string[];
  /** Dynamic client registration open. */
  readonly dynamicRegistration: boolean;
  /** Client ID Metadata Documents accepted. */
  readonly clientMetadataDocuments: boolean;
  /** Metadata document URLs or hosts allowed (empty: every one not denied). */
  readonly allowClients: readonly string[];
  /** Metadata document URLs or hosts refused. */
  readonly denyClients: readonly string[];
  /** Lifetime of the broker's access tokens. */
  readonly accessTokenValidity: Duration;
  /** Lifetime of a refresh-token family. */
  readonly refreshTokenValidity: Duration;
  /** Registrations per client address and minute on one task. */
  readonly registrationsPerMinute: number;
  /** Token requests per client address and minute on one task. */
  readonly tokenRequestsPerMinute: number;
}

/** What the app container gets for the broker: plain variables, SSM parameters and secrets by variable name. */
export interface BrokerContainerSettings {
  readonly environment: Readonly<Record<string, string>>;
  readonly parameterArns: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, ISecret>>;
}

/**
 * Maps the broker settings to the variables `runtime/src/authz/config.ts` reads (the README's
 * configuration table names each one).
 *
 * @throws when a list entry holds a comma (the variables are comma-separated)
 */
export function brokerContainerSettings(signIn: McpServiceSignIn): BrokerContainerSettings {
  const environment: Record<string, string> = {};
  const parameterArns: Record<string, string> = {};
  const setting = (name: string, value: RuntimeSetting) => {
    if ('value' in value) environment[name] = value.value;
    else parameterArns[name] = value.parameterArn;
  };
  const list = (name: string, values: readonly string[]) => {
    const bad = values.find((entry) => entry.includes(',') || entry.trim() !== entry || entry.length === 0);
    if (bad !== undefined) throw new Error(`${name} entries must be non-empty and hold no comma or surrounding space (got "${bad}")`);
    return values.join(',');
  };
  environment.MCP_BROKER = 'on';
  setting('MCP_BROKER_UPSTREAM_ISSUER', signIn.upstreamIssuer);
  setting('MCP_BROKER_UPSTREAM_CLIENT_ID', signIn.upstreamClientId);
  environment.MCP_BROKER_UPSTREAM_SCOPES = list('upstreamScopes', signIn.upstreamScopes);
  environment.MCP_BROKER_DCR = signIn.dynamicRegistration ? 'on' : 'off';
  environment.MCP_BROKER_CIMD = signIn.clientMetadataDocuments ? 'on' : 'off';
  if (signIn.allowClients.length > 0) environment.MCP_BROKER_CIMD_ALLOW = list('allowClients', signIn.allowClients);
  if (signIn.denyClients.length > 0) environment.MCP_BROKER_CIMD_DENY = list('denyClients', signIn.denyClients);
  environment.MCP_BROKER_ACCESS_TOKEN_SECONDS = String(signIn.accessTokenValidity.toSeconds());
  environment.MCP_BROKER_REFRESH_TOKEN_SECONDS = String(signIn.refreshTokenValidity.toSeconds());
  environment.MCP_BROKER_REGISTRATIONS_PER_MINUTE = String(signIn.registrationsPerMinute);
  environment.MCP_BROKER_TOKEN_REQUESTS_PER_MINUTE = String(signIn.tokenRequestsPerMinute);
  return { environment, parameterArns, secrets: { MCP_BROKER_UPSTREAM_CLIENT_SECRET: signIn.upstreamClientSecret } };
}
