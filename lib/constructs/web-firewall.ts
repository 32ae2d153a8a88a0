import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { idsInStack } from '../naming.js';

/** Properties of a {@link WebFirewall}. */
export interface WebFirewallProps {
  /** The load balancer to protect. */
  readonly loadBalancer: IApplicationLoadBalancer;
  /** Key that encrypts the WAF log group. */
  readonly logKey: IKey;
  /**
   * Requests one client IP may send per evaluation window before it is blocked. Size it for every
   * user behind one corporate NAT address, each allowed 600 requests per minute by the runtime.
   *
   * @default 30000
   */
  readonly rateLimit?: number;
  /**
   * Evaluation window of the rate limit, in seconds (60, 120, 300 or 600).
   *
   * @default 300
   */
  readonly rateLimitWindowSeconds?: number;
  /**
   * The kit's sign-in endpoints: per-IP rate limits on registration, token and authorize (per
   * evaluation window), and the one core-rule-set exception their requests need.
   *
   * @default - no sign-in rules (the broker is off)
   */
  readonly signIn?: WebFirewallSignIn;
  /**
   * Retention of the WAF log group.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
}

/** Paths and per-IP limits of the sign-in endpoints. */
export interface WebFirewallSignIn {
  /** Path of dynamic client registration (`/oauth/register`). */
  readonly registerPath: string;
  /** Path of the token endpoint (`/oauth/token`). */
  readonly tokenPath: string;
  /** Path of the authorization endpoint (`/oauth/authorize`). */
  readonly authorizePath: string;
  /** Requests one IP may send to the registration endpoint per window. */
  readonly registerLimit: number;
  /** Requests one IP may send to the token endpoint per window. */
  readonly tokenLimit: number;
  /** Requests one IP may send to the authorization endpoint per window. */
  readonly authorizeLimit: number;
}

/**
 * The core rule set's remote-file-inclusion rule for query strings matches any URL with an IPv4 host
 * in a query value, and so every authorization request of a native MCP client: RFC 8252 loopback
 * redirects (`redirect_uri=http://127.0.0.1:33418/callback`, Claude Code, VS Code, the SDKs). With the
 * broker on, the rule only counts inside the group; a rule after the group blocks on its label
 * everywhere except on exactly the authorization endpoint, which checks `redirect_uri` itself (exact
 * match against the registration, loopback ports only for loopback IP redirects).
 */
export const SIGN_IN_QUERY_RULE = { name: 'GenericRFI_QUERYARGUMENTS', label: 'awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments' } as const;

/**
 * Body rules of the core rule set that only count. An MCP request body is a JSON-RPC message whose tool
 * arguments legitimately hold HTML (a page to summarise), file paths (`../config.yaml`) and URLs
 * (`http://169.254.169.254/…` in a runbook): these rules would block such calls with an HTML 403 that no
 * MCP client understands. The runtime validates every argument against the tool's strict schema, refuses
 * credential values, and no tool renders HTML, reads local files by path or fetches URLs; the rules'
 * matches stay visible in the WAF metrics and logs. The query-string, URI and header variants still block.
 */
export const COUNTED_BODY_RULES = [
  'CrossSiteScripting_BODY',
  'GenericLFI_BODY',
  'GenericRFI_BODY',
  'EC2MetaDataSSRF_BODY',
  // MCP tool calls carry JSON bodies above the rule's 8 KB limit; the runtime enforces its own body
  // limit (MCP_MAX_BODY_BYTES) and answers 413.
  'SizeRestrictions_BODY',
] as const;

/** AWS managed rule groups in evaluation order, with rules switched to count where the runtime does the job. */
const MANAGED_RULE_GROUPS: ReadonlyArray<{ name: string; countRules?: readonly string[] }> = [
  { name: 'AWSManagedRulesAmazonIpReputationList' },
  { name: 'AWSManagedRulesCommonRuleSet', countRules: COUNTED_BODY_RULES },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet' },
];

/**
 * A regional WAF web ACL in front of the load balancer: the AWS IP reputation list, a rate-based rule
 * per client IP (and, with sign-in, one per sign-in endpoint), the core rule set and the
 * known-bad-inputs rule set. Requests are logged to an
 * encrypted log group with the `Authorization` header redacted, so no bearer token reaches the logs.
 */
export class WebFirewall extends Construct {
  /** The web ACL. */
  public readonly webAcl: CfnWebACL;
  /** The log group of WAF request logs. */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WebFirewallProps) {
    super(scope, id);
    const rateLimit = props.rateLimit ?? 30_000;
    if (!Number.isInteger(rateLimit) || rateLimit < 10) {
      throw new Error(`rateLimit must be an integer of at least 10 (got ${rateLimit})`);
    }
    const window = props.rateLimitWindowSeconds ?? 300;
    if (![60, 120, 300, 600].includes(window)) {
      throw new Error(`rateLimitWindowSeconds must be 60, 120, 300 or 600 (got ${window})`);
    }
    // From the stack name and the construct's path inside the stack, not the whole app path, so that
    // `cdk deploy` and the pipeline (where stages sit elsewhere in the tree) name the log group alike.
    const stack = Stack.of(this);
    const metricPrefix = `${stack.stackName}-${idsInStack(this).join('-')}`.replace(/[^A-Za-z0-9-]/g, '').slice(0, 64);
    const visibility = (name: string): CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
      metricName: `${metricPrefix}-${name}`.slice(0, 128),
    });

    const signIn = props.signIn;
    const pathIs = (path: string): CfnWebACL.StatementProperty => ({
      byteMatchStatement: {
        fieldToMatch: { uriPath: {} },
        positionalConstraint: 'EXACTLY',
        searchString: path,
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const signInLimits = signIn
      ? ([
          ['Register', signIn.registerPath, signIn.registerLimit],
          ['Token', signIn.tokenPath, signIn.tokenLimit],
          ['Authorize', signIn.authorizePath, signIn.authorizeLimit],
        ] as const)
      : [];
    for (const [name, path, limit] of signInLimits) {
      if (!Number.isInteger(limit) || limit < 10 || limit > rateLimit) {
        throw new Error(`the ${name.toLowerCase()} rate limit must be an integer from 10 to rateLimit ${rateLimit} (got ${limit})`);
      }
      if (!path.startsWith('/')) throw new Error(`sign-in paths must start with "/" (got "${path}")`);
    }

    type UnplacedRule = Omit<CfnWebACL.RuleProperty, 'priority'>;
    const rules: CfnWebACL.RuleProperty[] = ([
      {
        name: 'RateLimitPerClientIp',
        action: { block: {} },
        statement: {
          rateBasedStatement: { limit: rateLimit, evaluationWindowSec: window, aggregateKeyType: 'IP' },
        },
        visibilityConfig: visibility('RateLimit'),
      },
      // Registration, token and authorize requests per IP, each on its own path: a scripted client
      // cannot fill the registration table or guess codes at the general rate.
      ...signInLimits.map(
        ([name, path, limit]): UnplacedRule => ({
          name: `SignInRateLimit${name}`,
          action: { block: {} },
          statement: {
            rateBasedStatement: { limit, evaluationWindowSec: window, aggregateKeyType: 'IP', scopeDownStatement: pathIs(path) },
          },
          visibilityConfig: visibility(`SignInRateLimit${name}`),
        }),
      ),
      ...MANAGED_RULE_GROUPS.map((group): UnplacedRule => {
        const countRules = [...(group.countRules ?? []), ...(signIn && group.name === 'AWSManagedRulesCommonRuleSet' ? [SIGN_IN_QUERY_RULE.name] : [])];
        return {
          name: group.name,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: group.name,
              ruleActionOverrides: countRules.length > 0 ? countRules.map((rule) => ({ name: rule, actionToUse: { count: {} } })) : undefined,
            },
          },
          visibilityConfig: visibility(group.name),
        };
      }),
      ...(signIn
        ? [
            {
              name: 'RemoteFileInclusionInQueryOutsideAuthorize',
              action: { block: {} },
              statement: {
                andStatement: {
                  statements: [
                    { labelMatchStatement: { scope: 'LABEL', key: SIGN_IN_QUERY_RULE.label } },
                    { notStatement: { statement: pathIs(signIn.authorizePath) } },
                  ],
                },
              },
              visibilityConfig: visibility('RemoteFileInclusionInQuery'),
            },
          ]
        : []),
    ] satisfies UnplacedRule[]).map((rule, priority) => ({ ...rule, priority }));

    this.webAcl = new CfnWebACL(this, 'Resource', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      description: 'Protects the MCP load balancer',
      rules,
      visibilityConfig: visibility('WebAcl'),
    });

    new CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.loadBalancer.loadBalancerArn,
      webAclArn: this.webAcl.attrArn,
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      // WAF only logs to groups whose name starts with "aws-waf-logs-".
      logGroupName: `aws-waf-logs-${metricPrefix}`,
      encryptionKey: props.logKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      // Kept when the stack is deleted; removed with the rollback of a failed first create.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    new CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // WAF wants the log group ARN without the ":*" suffix that `logGroupArn` carries.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }, { singleHeader: { Name: 'cookie' } }],
    });
  }
}
