import { Stack, Token } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { IApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import {
  ARecord,
  HealthCheck,
  HealthCheckType,
  type IHostedZone,
  InsufficientDataHealthStatusEnum,
  RecordTarget,
} from 'aws-cdk-lib/aws-route53';
import { LoadBalancerTarget } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';

/** Properties of a {@link GlobalEntry}. */
export interface GlobalEntryProps {
  /** The public hosted zone of the domain. */
  readonly zone: IHostedZone;
  /** The public DNS name of the service (inside `zone`). */
  readonly domainName: string;
  /** This region's load balancer. */
  readonly loadBalancer: IApplicationLoadBalancer;
  /** Alarm that is in ALARM when this region cannot serve (for example: no healthy target). */
  readonly healthAlarm: IAlarm;
}

/**
 * This region's share of the global entry point: a latency-based alias record for the domain that
 * points at the region's load balancer, evaluates the target health of the alias and carries a Route 53
 * health check that follows the region's health alarm. When the region fails, its record drops out
 * and Route 53 answers with the next-closest healthy region.
 *
 * Every service region adds one; the records share the name and differ in region and set identifier.
 */
export class GlobalEntry extends Construct {
  /** The latency-based alias record of this region. */
  public readonly record: ARecord;
  /** The health check that takes this region out of DNS. */
  public readonly healthCheck: HealthCheck;

  constructor(scope: Construct, id: string, props: GlobalEntryProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error('global entry needs a stack with a concrete region (set env.region)');
    }
    const zoneName = props.zone.zoneName.replace(/\.$/, '');
    if (!Token.isUnresolved(zoneName) && props.domainName !== zoneName && !props.domainName.endsWith(`.${zoneName}`)) {
      throw new Error(`domainName must lie inside the hosted zone "${zoneName}" (got "${props.domainName}")`);
    }

    this.healthCheck = new HealthCheck(this, 'HealthCheck', {
      type: HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: props.healthAlarm.alarmName, region },
      // Keep the region in DNS while CloudWatch has no data (for example right after deployment).
      insufficientDataHealthStatus: InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });

    this.record = new ARecord(this, 'Resource', {
      zone: props.zone,
      recordName: props.domainName,
      target: RecordTarget.fromAlias(new LoadBalancerTarget(props.loadBalancer, { evaluateTargetHealth: true })),
      region,
      setIdentifier: `mcp-${region}`,
      healthCheck: this.healthCheck,
      comment: `MCP endpoint in ${region} (latency-based, health-checked)`,
    });
  }
}
