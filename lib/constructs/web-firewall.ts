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
   * Retention of the WAF log group.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
}

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
 * per client IP, the core rule set and the known-bad-inputs rule set. Requests are logged to an
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

    const rules: CfnWebACL.RuleProperty[] = [
      {
        name: 'RateLimitPerClientIp',
        priority: 0,
        action: { block: {} },
        statement: {
          rateBasedStatement: { limit: rateLimit, evaluationWindowSec: window, aggregateKeyType: 'IP' },
        },
        visibilityConfig: visibility('RateLimit'),
      },
      ...MANAGED_RULE_GROUPS.map(
        (group, index): CfnWebACL.RuleProperty => ({
          name: group.name,
          priority: index + 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name: group.name,
              ruleActionOverrides: group.countRules?.map((rule) => ({ name: rule, actionToUse: { count: {} } })),
            },
          },
          visibilityConfig: visibility(group.name),
        }),
      ),
    ];

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
