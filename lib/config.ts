import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SECRET_ARN, signInSchema } from './sign-in-config.js';

/**
 * The deployment configuration: one typed, validated description of where and how the kit runs.
 * `bin/app.ts` and `bin/pipeline.ts` read it from a JSON file (`config/example.json` by default) and
 * hand typed slices of it to the stages and stacks. A bad value fails synth with a message naming the
 * key and the value.
 */

const ACCOUNT = /^\d{12}$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const CONNECTION_ARN = /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/;
/** A container image reference pinned by digest: `<repository>[:<tag>]@sha256:<64 hex>`. */
const PINNED_IMAGE = /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._-]+)+(:[A-Za-z0-9._-]{1,128})?@sha256:[0-9a-f]{64}$/;

/** Requests per minute the runtime allows one principal by default (`MCP_RATE_LIMIT_PER_MINUTE`). */
export const RUNTIME_RATE_LIMIT_PER_MINUTE = 600;

/** Fargate CPU units and the memory sizes (MiB) each allows. */
const FARGATE_MEMORY: Readonly<Record<number, readonly [number, number, number]>> = {
  // cpu: [min, max, step]
  256: [512, 2048, 1024],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16384, 1024],
  4096: [8192, 30720, 1024],
  8192: [16384, 61440, 4096],
  16384: [32768, 122880, 8192],
};

/** Retention periods CloudWatch Logs accepts (days). */
const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

const account = z.string().regex(ACCOUNT, 'must be a 12-digit AWS account id');
const region = z.string().regex(REGION, 'must be an AWS region code such as "eu-west-1"');
const hostname = z.string().regex(HOSTNAME, 'must be a lower-case DNS name such as "mcp.example.com"');
const email = z.email('must be an e-mail address');
const httpsOrLocalhostUrl = z.url('must be a URL').refine((value) => {
  const url = new URL(value);
  return url.protocol === 'https:' || (url.protocol === 'http:' && url.hostname === 'localhost');
}, 'must use https (plain http is allowed for localhost only)');
const scopeName = z
  .string()
  .regex(/^[a-z][a-z0-9._:-]{0,63}$/, 'must be a lower-case scope name such as "mcp:identity.read"');

const scopeSchema = z.strictObject({
  /** Scope name inside the resource server; tokens carry `<resourceServerId>/<name>`. */
  name: scopeName,
  description: z.string().min(1).max(256),
});

const cognitoIdentitySchema = z.strictObject({
  kind: z.literal('cognito'),
  /** Prefix of the managed login domain `https://<prefix>.auth.<region>.amazoncognito.com`. */
  domainPrefix: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be lower-case letters, digits and hyphens')
    .refine((value) => !/aws|amazon|cognito/.test(value), 'must not contain "aws", "amazon" or "cognito"'),
  /** Redirect URIs of the interactive MCP client app (authorization code + PKCE). */
  callbackUrls: z.array(httpsOrLocalhostUrl).min(1),
  /** Sign-out URLs of the interactive app client. */
  logoutUrls: z.array(httpsOrLocalhostUrl).default([]),
  /** Identifier of the resource server; scopes reach the runtime as `<id>/<scope>`. */
  resourceServerId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a short lower-case identifier such as "mcp"')
    .default('mcp'),
  /**
   * Scopes of the resource server, named as the tool catalog's `access.scopes` name them (the runtime
   * strips the `<resourceServerId>/` prefix). Keep them narrow: one per capability.
   */
  scopes: z
    .array(scopeSchema)
    .min(1)
    .default([
      { name: 'mcp:identity.read', description: 'Read the identity the server authenticated' },
      { name: 'mcp:notes.read', description: 'List your notes' },
      { name: 'mcp:notes.write', description: 'Add and remove your notes' },
      { name: 'mcp:docs.search', description: 'Search internal documents' },
      { name: 'mcp:reports.run', description: 'Generate reports' },
    ]),
  /** User groups the tool policy can refer to. */
  groups: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be letters, digits, "_" or "-"'),
        description: z.string().max(2048).default(''),
      }),
    )
    .default([]),
  /**
   * Confidential app clients for machine-to-machine use (client credentials grant), each limited to
   * the scopes listed. The pipeline's smoke test uses one; its secret goes to Secrets Manager.
   */
  machineClients: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case name such as "smoke-test"'),
        scopes: z.array(scopeName).min(1),
      }),
    )
    .default([]),
  /** Lifetime of access tokens in minutes (5 to 60). */
  accessTokenMinutes: z.number().int().min(5).max(60).default(15),
});

const oidcIdentitySchema = z.strictObject({
  kind: z.literal('oidc'),
  /** Exact `iss` of the external OpenID provider (Okta, Entra ID, Auth0, Keycloak …). */
  issuer: z.url('must be a URL').refine((value) => value.startsWith('https://'), 'must use https'),
  /**
   * The audience tokens must carry (RFC 8707 resource indicator).
   * Defaults to the public MCP URL `https://<domainName>/mcp`.
   */
  audience: z.string().min(1).optional(),
});

const serviceSchema = z.strictObject({
  /** Fargate CPU units of one task. */
  cpu: z
    .number()
    .int()
    .refine((value) => value in FARGATE_MEMORY, `must be one of ${Object.keys(FARGATE_MEMORY).join(', ')}`)
    .default(512),
  /** Memory of one task in MiB; must fit the CPU size. */
  memoryMiB: z.number().int().positive().default(1024),
  /** Tasks per region in steady state. At least two, so every region survives the loss of an AZ. */
  desiredCount: z.number().int().min(2, 'must be at least 2').default(2),
  /** Lower bound of autoscaling. */
  minCount: z.number().int().min(2, 'must be at least 2').default(2),
  /** Upper bound of autoscaling. */
  maxCount: z.number().int().min(2).max(1000).default(6),
  /** Target average CPU utilization for autoscaling (percent). */
  cpuTargetPercent: z.number().int().min(10).max(90).default(60),
  /** Target requests per task per minute for autoscaling. */
  requestsPerTaskPerMinute: z.number().int().min(1).default(1000),
  /** NAT gateways per region (one per AZ for zone-independent egress). */
  natGateways: z.number().int().min(1).max(3).default(3),
  /** The longest tool deadline in seconds; the load balancer's idle timeout is set above it. */
  longestToolDeadlineSeconds: z.number().int().min(1).max(3600).default(60),
  /** Runtime log level. */
  logLevel: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Retention of every log group (days). */
  logRetentionDays: z
    .number()
    .int()
    .refine(
      (value) => (LOG_RETENTION_DAYS as readonly number[]).includes(value),
      `must be one of ${LOG_RETENTION_DAYS.join(', ')}`,
    )
    .default(365),
  /** Expiry of load balancer access logs in the S3 bucket (days). */
  accessLogExpiryDays: z.number().int().min(1).max(3653).default(365),
  /**
   * Image of the OpenTelemetry collector sidecar that writes the traces to X-Ray, pinned by digest:
   * `public.ecr.aws/aws-observability/aws-otel-collector:<tag>@sha256:<digest>`. Required: look the
   * digest up for the tag you choose (README, "Traces").
   */
  otelCollectorImage: z
    .string()
    .regex(/^[a-z0-9.-]+(?::\d+)?\/[a-z0-9._/-]+:[A-Za-z0-9._-]{1,128}@sha256:[0-9a-f]{64}$/, 'must be an image pinned by digest, <repository>:<tag>@sha256:<64 hex digits>'),
  /** Optional Amazon Bedrock guardrail for output moderation (`MCP_MODERATION=bedrock`). */
  guardrail: z
    .strictObject({
      id: z.string().regex(/^[a-z0-9]+$/, 'must be a guardrail id'),
      version: z.string().regex(/^(DRAFT|\d{1,8})$/, 'must be "DRAFT" or a version number'),
    })
    .optional(),
});

const wafSchema = z.strictObject({
  /**
   * Requests one client IP may send per evaluation window before WAF blocks it. Many users share one
   * address behind a corporate NAT, so size it for all of them: the default (30,000 per 5 minutes,
   * 100 per second) admits ten users at the runtime's own per-user limit (600 per minute) at once.
   * It must admit at least one such user (checked below).
   */
  rateLimit: z.number().int().min(10).max(2_000_000_000).default(30_000),
  /** Rate-limit evaluation window in seconds. */
  rateLimitWindowSeconds: z.union([z.literal(60), z.literal(120), z.literal(300), z.literal(600)]).default(300),
  /**
   * Sign-in requests one client IP may send per evaluation window to each endpoint before WAF blocks
   * it (only with `signIn.enabled`). A client registers once, and a signed-in user refreshes its token
   * about once per access-token lifetime, so these sit far below `rateLimit`; each must lie between
   * WAF's floor of 10 and `rateLimit` (checked below).
   */
  signInRateLimits: z
    .strictObject({
      /** `POST /oauth/register`. */
      register: z.number().int().default(100),
      /** `POST /oauth/token`. */
      token: z.number().int().default(3000),
      /** `GET /oauth/authorize`, where every sign-in starts. */
      authorize: z.number().int().default(1000),
    })
    .prefault({}),
});

const alarmsSchema = z.strictObject({
  /** E-mail addresses subscribed to the regional alarm topic. */
  emails: z.array(email).default([]),
  /** p99 latency of MCP requests above which the latency alarm fires (ms). */
  latencyP99Ms: z.number().int().min(1).default(3000),
  /** Share of requests answered with 5xx above which the error-rate alarm fires (percent). */
  errorRatePercent: z.number().min(0.1).max(100).default(5),
  /** Average CPU and memory utilization above which the saturation alarms fire (percent). */
  saturationPercent: z.number().int().min(10).max(100).default(85),
  /** Average latency of one tool above which its latency alarm fires (ms). */
  toolLatencyMs: z.number().int().min(1).default(10_000),
  /** Failed calls of one tool per five minutes above which its error alarm fires. */
  toolErrorsPerFiveMinutes: z.number().int().min(1).default(10),
  /** p99 DynamoDB request latency above which the table latency alarm fires (ms). */
  dynamoDbLatencyMs: z.number().int().min(1).default(100),
  /** Global table replication latency above which the replication alarm fires (ms). */
  replicationLatencyMs: z.number().int().min(1).default(60_000),
});

const observabilitySchema = z.strictObject({
  /** CloudWatch namespace of the runtime's EMF metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  metricsNamespace: z
    .string()
    .regex(/^[A-Za-z0-9._/#:-]{1,255}$/, 'must be a CloudWatch namespace')
    .refine((value) => !value.startsWith('AWS/'), 'must not start with "AWS/"')
    .default('EnterpriseMcp'),
  /** Service name in logs, traces and the metrics' `service` dimension (`POWERTOOLS_SERVICE_NAME`). */
  serviceName: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a lower-case name')
    .default('enterprise-mcp'),
});

const environmentShape = z.strictObject({
  /** Short name (`staging`, `production`); part of stack and resource names. */
  name: z.string().regex(/^[a-z][a-z0-9]{1,15}$/, 'must be 2-16 lower-case letters or digits'),
  /** The AWS account of this environment. */
  account,
  /** Region of the data and identity stacks; also a service region. */
  primaryRegion: region,
  /** Further service regions, each holding a table replica and a service stack. */
  secondaryRegions: z.array(region).default([]),
  /** Public DNS name of the MCP endpoint; the MCP URL is `https://<domainName>/mcp`. */
  domainName: hostname,
  /** The public Route 53 hosted zone that holds `domainName`. */
  hostedZone: z.strictObject({
    id: z.string().regex(/^Z[A-Z0-9]{1,32}$/, 'must be a Route 53 hosted zone id such as "Z0123456789ABCDEFGHIJ"'),
    name: hostname,
  }),
  /** The identity provider: a Cognito user pool created by the kit, or an external OIDC issuer. */
  identity: z.discriminatedUnion('kind', [cognitoIdentitySchema, oidcIdentitySchema], {
    error: 'must have kind "cognito" or "oidc"',
  }),
  /**
   * Resource deletion protection of the load balancer, the session table and the user pool. Leave it
   * `false` for the first deployment of an environment: CloudFormation cannot roll back a failed
   * first create through a resource that refuses deletion (the stack ends in `ROLLBACK_FAILED`).
   * Set it `true` once the first deployment succeeded; the update switches it on in place.
   * The stateful resources are retained on stack deletion either way (`RetainExceptOnCreate`).
   */
  deletionProtection: z.boolean().default(false),
  /** Sign-in for stock MCP clients: the kit's own OAuth authorization server in front of the identity provider. */
  signIn: signInSchema.prefault({}),
  service: serviceSchema,
  waf: wafSchema.prefault({}),
  alarms: alarmsSchema.prefault({}),
  observability: observabilitySchema.prefault({}),
})

const environmentSchema = environmentShape.superRefine((env, ctx) => {
  if (env.secondaryRegions.includes(env.primaryRegion)) {
    ctx.addIssue({
      code: 'custom',
      path: ['secondaryRegions'],
      message: `must not repeat the primary region (got "${env.primaryRegion}")`,
    });
  }
  const seen = new Set<string>();
  env.secondaryRegions.forEach((r, index) => {
    if (seen.has(r)) {
      ctx.addIssue({ code: 'custom', path: ['secondaryRegions', index], message: `must not repeat a region (got "${r}")` });
    }
    seen.add(r);
  });
  if (env.domainName !== env.hostedZone.name && !env.domainName.endsWith(`.${env.hostedZone.name}`)) {
    ctx.addIssue({
      code: 'custom',
      path: ['domainName'],
      message: `must lie inside the hosted zone "${env.hostedZone.name}" (got "${env.domainName}")`,
    });
  }
  const memory = FARGATE_MEMORY[env.service.cpu];
  if (memory) {
    const [min, max, step] = memory;
    const fits = env.service.memoryMiB >= min && env.service.memoryMiB <= max && (env.service.memoryMiB - min) % step === 0;
    if (!fits) {
      ctx.addIssue({
        code: 'custom',
        path: ['service', 'memoryMiB'],
        message: `must be ${min}-${max} in steps of ${step} for cpu ${env.service.cpu} (got ${env.service.memoryMiB})`,
      });
    }
  }
  const oneUser = (RUNTIME_RATE_LIMIT_PER_MINUTE * env.waf.rateLimitWindowSeconds) / 60;
  if (env.waf.rateLimit < oneUser) {
    ctx.addIssue({
      code: 'custom',
      path: ['waf', 'rateLimit'],
      message:
        `must admit at least one user at the runtime's limit of ${RUNTIME_RATE_LIMIT_PER_MINUTE} requests per minute, ` +
        `${oneUser} per ${env.waf.rateLimitWindowSeconds} s; size it for every user behind one NAT (got ${env.waf.rateLimit})`,
    });
  }
  const { minCount, desiredCount, maxCount } = env.service;
  if (!(minCount <= desiredCount && desiredCount <= maxCount)) {
    ctx.addIssue({
      code: 'custom',
      path: ['service', 'desiredCount'],
      message: `must lie between minCount and maxCount (got ${minCount} <= ${desiredCount} <= ${maxCount})`,
    });
  }
  checkSignIn(env, ctx);
  if (env.identity.kind === 'cognito') {
    const declared = new Set(env.identity.scopes.map((s) => s.name));
    env.identity.machineClients.forEach((client, index) => {
      client.scopes.forEach((scope, scopeIndex) => {
        if (!declared.has(scope)) {
          ctx.addIssue({
            code: 'custom',
            path: ['identity', 'machineClients', index, 'scopes', scopeIndex],
            message: `must name a scope of the resource server (got "${scope}")`,
          });
        }
      });
    });
  }
});

/** The sign-in settings that cannot be checked one key at a time. */
function checkSignIn(env: z.output<typeof environmentShape>, ctx: z.RefinementCtx): void {
  const signIn = env.signIn;
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path: ['signIn', ...path], message });
  if (env.identity.kind === 'cognito' && signIn.upstream) {
    issue(['upstream'], 'must be left out with a Cognito identity: the kit creates the broker\'s Cognito app client and its secret');
  }
  if (!signIn.enabled) return;
  if (env.identity.kind === 'oidc' && !signIn.upstream) {
    issue(['upstream'], 'is required with an oidc identity and signIn.enabled: the client id and the Secrets Manager secret of the broker\'s client at the provider');
  }
  if (signIn.upstream?.clientSecret.startsWith('arn:')) {
    const [, , region, account] = SECRET_ARN.exec(signIn.upstream.clientSecret) ?? [];
    if (account !== env.account) issue(['upstream', 'clientSecret'], `must be a secret of the environment's account ${env.account} (got account ${account})`);
    const regions = [env.primaryRegion, ...env.secondaryRegions];
    if (region !== undefined && !regions.includes(region)) {
      issue(['upstream', 'clientSecret'], `must be a secret of a service region ${JSON.stringify(regions)}, replicated to the others (got "${region}")`);
    }
  }
  if (!signIn.dynamicRegistration && !signIn.clientMetadataDocuments) {
    issue(['dynamicRegistration'], 'must be true when clientMetadataDocuments is false: otherwise no client can sign in');
  }
  if (!signIn.clientMetadataDocuments && (signIn.allowClients.length > 0 || signIn.denyClients.length > 0)) {
    issue(['allowClients'], 'must be empty when clientMetadataDocuments is false: the lists name metadata documents');
  }
  signIn.denyClients.forEach((client, index) => {
    if (signIn.allowClients.includes(client)) issue(['denyClients', index], `must not also be allowed (got "${client}")`);
  });
  for (const [endpoint, limit] of Object.entries(env.waf.signInRateLimits)) {
    if (limit < 10 || limit > env.waf.rateLimit) {
      ctx.addIssue({
        code: 'custom',
        path: ['waf', 'signInRateLimits', endpoint],
        message: `must lie between WAF's minimum of 10 and waf.rateLimit ${env.waf.rateLimit}, above which the per-IP rule blocks first (got ${limit})`,
      });
    }
  }
}

const pipelineSchema = z.strictObject({
  /** Toolchain account that hosts the pipeline. */
  account,
  /** Toolchain region that hosts the pipeline. */
  region,
  /** ARN of the AWS CodeConnections connection to the source repository. */
  connectionArn: z.string().regex(CONNECTION_ARN, 'must be a CodeConnections connection ARN'),
  /** Repository as `owner/name`. */
  repository: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'must be "owner/name"'),
  /** Branch that triggers the pipeline. */
  branch: z.string().min(1).max(255).default('main'),
  /** Name of the environment deployed by the staging wave. */
  stagingEnvironment: z.string().min(1).default('staging'),
  /** Name of the environment deployed by the production waves. */
  productionEnvironment: z.string().min(1).default('production'),
  /** E-mail addresses told when a production approval is waiting. */
  approverEmails: z.array(email).min(1, 'must list at least one approver'),
  /**
   * Name of the staging machine client (`identity.machineClients`) the smoke test signs in with. The
   * smoke step reads its id and current secret from the staging account at run time, through a
   * read-only role (see `SmokeTestAccess`); no copy of the secret exists anywhere.
   */
  smokeTestClient: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'must be a machine client name').default('smoke-test'),
});

export const deploymentConfigSchema = z
  .strictObject({
    /** Short name of this deployment; prefix of stack and resource names. */
    appName: z.string().regex(/^[a-z][a-z0-9-]{1,19}$/, 'must be 2-20 lower-case letters, digits or hyphens'),
    /** The environments (for example staging and production). */
    environments: z.array(environmentSchema).min(1, 'must list at least one environment'),
    /**
     * Base image of the runtime container (`runtime/Dockerfile`, build argument `NODE_IMAGE`), pinned
     * by digest. ECR Public's copy of the Docker official image: CodeBuild's anonymous Docker Hub pulls
     * are rate-limited. The README says how to move to a newer digest.
     */
    runtimeBaseImage: z.string().regex(PINNED_IMAGE, 'must be an image pinned by digest ("<repository>:<tag>@sha256:<64 hex>")'),
    /** The delivery pipeline; needed by `bin/pipeline.ts` only. */
    pipeline: pipelineSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const names = new Set<string>();
    config.environments.forEach((env, index) => {
      if (names.has(env.name)) {
        ctx.addIssue({ code: 'custom', path: ['environments', index, 'name'], message: `must be unique (got "${env.name}")` });
      }
      names.add(env.name);
    });
    if (config.pipeline) {
      for (const key of ['stagingEnvironment', 'productionEnvironment'] as const) {
        const name = config.pipeline[key];
        if (!names.has(name)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipeline', key],
            message: `must name one of the environments ${[...names].map((n) => `"${n}"`).join(', ')} (got "${name}")`,
          });
        }
      }
      const staging = config.environments.find((e) => e.name === config.pipeline?.stagingEnvironment);
      if (staging) {
        const clients = staging.identity.kind === 'cognito' ? staging.identity.machineClients.map((c) => c.name) : [];
        if (!clients.includes(config.pipeline.smokeTestClient)) {
          ctx.addIssue({
            code: 'custom',
            path: ['pipeline', 'smokeTestClient'],
            message:
              `must name a machine client of the staging environment's Cognito identity ${JSON.stringify(clients)} ` +
              `(got "${config.pipeline.smokeTestClient}")`,
          });
        }
      }
      if (config.pipeline.stagingEnvironment === config.pipeline.productionEnvironment) {
        ctx.addIssue({
          code: 'custom',
          path: ['pipeline', 'productionEnvironment'],
          message: `must differ from the staging environment (got "${config.pipeline.productionEnvironment}")`,
        });
      }
    }
  });

/** The validated deployment configuration. */
export type DeploymentConfig = z.output<typeof deploymentConfigSchema>;
/** The configuration of one environment (one account, one or more regions). */
export type EnvironmentConfig = DeploymentConfig['environments'][number];
/** The identity provider of one environment. */
export type IdentityConfig = EnvironmentConfig['identity'];
/** The Cognito identity provider settings. */
export type CognitoIdentityConfig = Extract<IdentityConfig, { kind: 'cognito' }>;
/** Sign-in for stock MCP clients (the kit's authorization server). */
export type SignInConfig = EnvironmentConfig['signIn'];
/** Sizing and runtime settings of the regional service. */
export type ServiceConfig = EnvironmentConfig['service'];
/** Alarm thresholds and subscribers. */
export type AlarmsConfig = EnvironmentConfig['alarms'];
/** Metric namespace and service name. */
export type ObservabilityConfig = EnvironmentConfig['observability'];
/** The delivery pipeline settings. */
export type PipelineConfig = NonNullable<DeploymentConfig['pipeline']>;

/** Thrown when a deployment configuration is invalid; the message names every bad key and its value. */
export class DeploymentConfigError extends Error {
  override readonly name = 'DeploymentConfigError';
}

/**
 * Validates a deployment configuration object.
 *
 * @param input the parsed JSON
 * @param source where the input came from, for the error message
 * @throws DeploymentConfigError naming each bad key, what it must be and the value found
 */
export function parseDeploymentConfig(input: unknown, source = 'deployment configuration'): DeploymentConfig {
  const result = deploymentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const key = formatPath(issue.path);
    const value = valueAt(input, issue.path);
    const got = value === undefined || issue.message.includes('(got ') ? '' : ` (got ${JSON.stringify(value)})`;
    return `  - ${key || '(root)'}: ${lowerFirst(issue.message)}${got}`;
  });
  throw new DeploymentConfigError(`invalid ${source}:\n${lines.join('\n')}`);
}

/**
 * Reads and validates a deployment configuration file (JSON).
 *
 * @param path file path, relative to the working directory
 * @throws DeploymentConfigError when the file cannot be read, is not JSON or is invalid
 */
export function loadDeploymentConfig(path: string): DeploymentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new DeploymentConfigError(`cannot read deployment configuration "${path}": ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new DeploymentConfigError(`deployment configuration "${path}" is not valid JSON: ${(error as Error).message}`);
  }
  return parseDeploymentConfig(json, `deployment configuration "${path}"`);
}

/** Every service region of an environment, the primary region first. */
export function serviceRegions(env: EnvironmentConfig): readonly string[] {
  return [env.primaryRegion, ...env.secondaryRegions];
}

/** The public URL of the MCP endpoint (also the OAuth protected resource identifier). */
export function publicMcpUrl(env: EnvironmentConfig): string {
  return `https://${env.domainName}/mcp`;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    return out ? `${out}.${String(part)}` : String(part);
  }, '');
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}
