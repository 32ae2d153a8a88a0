import { ArnFormat, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnLoggingConfiguration, CfnWebACL, CfnWebACLAssociation } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

/** Properties of a {@link WebFirewall}. */
export interface WebFirewallProps {
  /** The load balancer to protect. */
  readonly loadBalancer: IApplicationLoadBalancer;
  /** Key that encrypts the WAF log group. */
  readonly logKey: IKey;
  /**
   * Requests one client IP may send per evaluation window before it is blocked.
   *
   * @default 1000
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

/** AWS managed rule groups in evaluation order, with rules switched to count where the runtime does the job. */
const MANAGED_RULE_GROUPS: ReadonlyArray<{ name: string; countRules?: readonly string[] }> = [
  { name: 'AWSManagedRulesAmazonIpReputationList' },
  {
    name: 'AWSManagedRulesCommonRuleSet',
    // MCP tool calls carry JSON bodies above the rule's 8 KB limit; the runtime enforces its own body
    // limit (MCP_MAX_BODY_BYTES) and answers 413, so this rule only counts.
    countRules: ['SizeRestrictions_BODY'],
  },
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
    const rateLimit = props.rateLimit ?? 1000;
    if (!Number.isInteger(rateLimit) || rateLimit < 10) {
      throw new Error(`rateLimit must be an integer of at least 10 (got ${rateLimit})`);
    }
    const window = props.rateLimitWindowSeconds ?? 300;
    if (![60, 120, 300, 600].includes(window)) {
      throw new Error(`rateLimitWindowSeconds must be 60, 120, 300 or 600 (got ${window})`);
    }
    const metricPrefix = Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
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
      removalPolicy: RemovalPolicy.RETAIN,
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
