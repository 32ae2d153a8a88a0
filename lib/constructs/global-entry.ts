import { Duration, Stack, Token } from 'aws-cdk-lib';
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
  /**
   * Alarm that is in ALARM when this region cannot serve (for example: no healthy target). Route 53
   * follows single-metric alarms only (no metric math, no percentiles, no "M out of N").
   */
  readonly healthAlarm: IAlarm;
  /**
   * Path the endpoint check requests from the load balancer. It must answer 200 without the public
   * Host header (Route 53 sends the load balancer's own name) and reveal nothing.
   *
   * @default '/healthz'
   */
  readonly healthPath?: string;
}

/**
 * This region's share of the global entry point: a latency-based alias record for the domain that
 * points at the region's load balancer, evaluates the target health of the alias and carries a
 * calculated Route 53 health check that is healthy only while both of its children are:
 *
 * - the region's health alarm (no healthy target), and
 * - an HTTPS check of the load balancer from Route 53's checkers around the world, which also fails
 *   when the whole region is dark: the alarm alone would then keep its last known status.
 *
 * When either fails, the region's record drops out and Route 53 answers with the next-closest
 * healthy region.
 *
 * Every service region adds one; the records share the name and differ in region and set identifier.
 */
export class GlobalEntry extends Construct {
  /** The latency-based alias record of this region. */
  public readonly record: ARecord;
  /** The health check that takes this region out of DNS (calculated from the two below). */
  public readonly healthCheck: HealthCheck;
  /** Follows the region's health alarm. */
  public readonly alarmHealthCheck: HealthCheck;
  /** Requests the health path from the region's load balancer over HTTPS. */
  public readonly endpointHealthCheck: HealthCheck;

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

    this.alarmHealthCheck = new HealthCheck(this, 'AlarmHealthCheck', {
      type: HealthCheckType.CLOUDWATCH_METRIC,
      alarmIdentifier: { name: props.healthAlarm.alarmName, region },
      // Keep the region in DNS while CloudWatch has no data (for example right after deployment);
      // the endpoint check covers a region whose CloudWatch is gone too.
      insufficientDataHealthStatus: InsufficientDataHealthStatusEnum.LAST_KNOWN_STATUS,
    });
    this.endpointHealthCheck = new HealthCheck(this, 'EndpointHealthCheck', {
      type: HealthCheckType.HTTPS,
      // The load balancer's own name: the check must not depend on the record it decides about.
      // Route 53 does not validate the certificate; the runtime answers the health path for any Host.
      fqdn: props.loadBalancer.loadBalancerDnsName,
      port: 443,
      resourcePath: props.healthPath ?? '/healthz',
      requestInterval: Duration.seconds(30),
      failureThreshold: 3,
    });
    this.healthCheck = new HealthCheck(this, 'HealthCheck', {
      type: HealthCheckType.CALCULATED,
      childHealthChecks: [this.alarmHealthCheck, this.endpointHealthCheck],
      // Healthy only while both children are: either signal removes the region.
      healthThreshold: 2,
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
