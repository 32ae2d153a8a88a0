import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { FargateService } from 'aws-cdk-lib/aws-ecs';
import {
  type ApplicationLoadBalancer,
  type ApplicationTargetGroup,
  HttpCodeElb,
  HttpCodeTarget,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SESSION_TABLE_ACTIONS } from '../../runtime/src/session/table-schema.js';

/** Alarm thresholds. */
export interface ServiceAlarmThresholds {
  /**
   * p99 latency of MCP requests (ms).
   *
   * @default 3000
   */
  readonly latencyP99Ms?: number;
  /**
   * Share of requests answered with 5xx (percent).
   *
   * @default 5
   */
  readonly errorRatePercent?: number;
  /**
   * Average CPU and memory utilization (percent).
   *
   * @default 85
   */
  readonly saturationPercent?: number;
  /**
   * Average latency of one tool (ms).
   *
   * @default 10000
   */
  readonly toolLatencyMs?: number;
  /**
   * Failed calls of one tool per five minutes.
   *
   * @default 10
   */
  readonly toolErrorsPerFiveMinutes?: number;
  /**
   * p99 latency of the session table's operations (ms).
   *
   * @default 100
   */
  readonly dynamoDbLatencyMs?: number;
  /**
   * Replication latency to any other replica (ms).
   *
   * @default 60000
   */
  readonly replicationLatencyMs?: number;
}

/** Properties of a {@link ServiceMonitoring}. */
export interface ServiceMonitoringProps {
  /** The Fargate service. */
  readonly service: FargateService;
  /** The load balancer in front of it. */
  readonly loadBalancer: ApplicationLoadBalancer;
  /** The target group of the tasks. */
  readonly targetGroup: ApplicationTargetGroup;
  /** Name of the session table (the same in every region). */
  readonly tableName: string;
  /**
   * The other regions holding a replica, for replication latency.
   *
   * @default - none
   */
  readonly replicaRegions?: readonly string[];
  /** Namespace of the runtime's metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /** Value of the runtime metrics' `service` dimension (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /** Key that encrypts the alarm topic. */
  readonly topicKey: IKey;
  /**
   * E-mail addresses subscribed to the alarm topic.
   *
   * @default - none; subscribe other endpoints to `topic` yourself
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Tasks below which the running-tasks alarm fires.
   *
   * @default 2
   */
  readonly minRunningTasks?: number;
  /**
   * Alarm thresholds.
   *
   * @default - the defaults of each threshold
   */
  readonly thresholds?: ServiceAlarmThresholds;
  /**
   * Name of the dashboard.
   *
   * @default - generated
   */
  readonly dashboardName?: string;
  /**
   * Prefix of the alarm names (`<prefix>-<alarm>`). Fixed names let the ECS service refer to its
   * deployment alarms by name.
   *
   * @default - CloudFormation generates the names
   */
  readonly alarmNamePrefix?: string;
}

/** DynamoDB operations the session store performs, from the actions it is granted. */
const TABLE_OPERATIONS = SESSION_TABLE_ACTIONS.map((action) => action.replace('dynamodb:', ''));

/**
 * Operations view of one region: an encrypted SNS topic for alarms (subscribers from configuration),
 * alarms on error rate, latency, saturation, running tasks, target health, DynamoDB latency,
 * throttles and replication latency, per-tool error and latency alarms (Metrics Insights alarms with
 * one contributor per tool, so new tools are covered without a deployment), and a dashboard of them.
 *
 * Runtime metrics are read with the names and dimensions the runtime emits: `Requests`, `Latency`
 * (ms), `Errors` (total, and by `kind`), `ToolCalls` (by `tool`, and by `tool` and `outcome`),
 * `ToolLatency` (by `tool`), `AuthFailures` and `RateLimited`, each with the dimensions `service`
 * (`POWERTOOLS_SERVICE_NAME`) and `region`.
 */
export class ServiceMonitoring extends Construct {
  /** Topic every alarm notifies, on ALARM and on OK. */
  public readonly topic: Topic;
  /** The dashboard. */
  public readonly dashboard: Dashboard;
  /** 5xx answers above the threshold share of requests. */
  public readonly errorRateAlarm: Alarm;
  /** p99 request latency above the threshold. */
  public readonly latencyAlarm: Alarm;
  /** No healthy target in the target group: the region cannot serve. Route 53 uses it to drop the region. */
  public readonly regionHealthAlarm: Alarm;
  /** Every alarm of this construct. */
  public readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: ServiceMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const region = stack.region;
    const t = props.thresholds ?? {};
    const ns = props.metricsNamespace;
    const service = props.serviceName;
    if (/["'\\]/.test(ns) || /["'\\]/.test(service)) {
      throw new Error(`metricsNamespace and serviceName must not contain quotes (got "${ns}", "${service}")`);
    }

    this.topic = new Topic(this, 'Topic', {
      displayName: `MCP service alarms (${region})`,
      masterKey: props.topicKey,
      enforceSSL: true,
    });
    // enforceSSL writes a topic policy, which replaces the default one that let CloudWatch publish:
    // allow it again, for this account's alarms in this region only.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsOfThisAccountPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }) },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    for (const email of props.alarmEmails ?? []) {
      this.topic.addSubscription(new EmailSubscription(email));
    }

    const minute = Duration.minutes(1);
    const fiveMinutes = Duration.minutes(5);
    const alb = props.loadBalancer.metrics;
    const tg = props.targetGroup.metrics;

    // Metrics ---------------------------------------------------------------------------------------
    // Every runtime metric carries the dimensions `service` and `region`; the totals have no others.
    const runtime = (metricName: string, statistic: string, label?: string): Metric =>
      new Metric({ namespace: ns, metricName, dimensionsMap: { service, region }, statistic, period: minute, label });
    const requests = runtime('Requests', 'Sum', 'MCP requests');
    const latencyP50 = runtime('Latency', 'p50', 'p50');
    const latencyP99 = runtime('Latency', 'p99', 'p99');
    const runtimeErrors = runtime('Errors', 'Sum', 'server-side failures');
    const authFailures = runtime('AuthFailures', 'Sum', 'refused tokens');
    const rateLimited = runtime('RateLimited', 'Sum', 'rate-limit refusals');
    const albRequests = alb.requestCount({ period: minute, label: 'ALB requests' });
    const target5xx = tg.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: minute, label: 'target 5xx' });
    const elb5xx = alb.httpCodeElb(HttpCodeElb.ELB_5XX_COUNT, { period: minute, label: 'load balancer 5xx' });
    const errorRate = new MathExpression({
      expression: 'IF(lbRequests > 0, 100 * (FILL(t5xx, 0) + FILL(e5xx, 0)) / lbRequests, 0)',
      usingMetrics: { lbRequests: albRequests, t5xx: target5xx, e5xx: elb5xx },
      period: minute,
      label: '5xx rate (%)',
    });
    const runtimeErrorRate = new MathExpression({
      expression: 'IF(mcpRequests > 0, 100 * FILL(mcpErrors, 0) / mcpRequests, 0)',
      usingMetrics: { mcpRequests: requests, mcpErrors: runtimeErrors },
      period: minute,
      label: 'server-side failure rate (%)',
    });
    const match = `service="${service}" region="${region}"`;
    const errorsByKind = new MathExpression({
      expression: `SEARCH('{${ns},kind,region,service} MetricName="Errors" ${match}', 'Sum', 60)`,
      usingMetrics: {},
      period: minute,
      label: 'failures by kind',
    });
    const cpu = props.service.metricCpuUtilization({ period: minute, label: 'CPU (%)' });
    const memory = props.service.metricMemoryUtilization({ period: minute, label: 'memory (%)' });
    const runningTasks = new Metric({
      namespace: 'ECS/ContainerInsights',
      metricName: 'RunningTaskCount',
      dimensionsMap: { ClusterName: props.service.cluster.clusterName, ServiceName: props.service.serviceName },
      statistic: 'Minimum',
      period: minute,
      label: 'running tasks',
    });
    const healthyTargets = tg.healthyHostCount({ statistic: 'Minimum', period: minute, label: 'healthy targets' });
    // Route 53 evaluates only single-metric alarms (top-level MetricName, Namespace, Statistic): a
    // label would make CDK write the metric-query form, which a health check cannot follow.
    const healthyTargetsForRoute53 = tg.healthyHostCount({ statistic: 'Minimum', period: minute });

    const tableMetric = (metricName: string, dimensions: Record<string, string>, statistic: string, label: string) =>
      new Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: props.tableName, ...dimensions },
        statistic,
        period: minute,
        label,
      });
    const operationLatency = Object.fromEntries(
      TABLE_OPERATIONS.map((operation) => [
        `l${operation}`,
        tableMetric('SuccessfulRequestLatency', { Operation: operation }, 'p99', `${operation} p99`),
      ]),
    );
    const tableLatency = new MathExpression({
      expression: `MAX([${Object.keys(operationLatency).join(', ')}])`,
      usingMetrics: operationLatency,
      period: minute,
      label: 'slowest operation p99 (ms)',
    });
    const throttleMetrics: Record<string, IMetric> = {
      rt: tableMetric('ReadThrottleEvents', {}, 'Sum', 'read throttles'),
      wt: tableMetric('WriteThrottleEvents', {}, 'Sum', 'write throttles'),
    };
    const throttles = new MathExpression({
      expression: 'FILL(rt, 0) + FILL(wt, 0)',
      usingMetrics: throttleMetrics,
      period: minute,
      label: 'throttled requests',
    });
    const replicationLatency = (props.replicaRegions ?? [])
      .filter((r) => r !== region)
      .map((receivingRegion) => ({
        receivingRegion,
        metric: tableMetric('ReplicationLatency', { ReceivingRegion: receivingRegion }, 'Average', `to ${receivingRegion}`),
      }));

    const toolErrorsQuery = new MathExpression({
      expression:
        `SELECT SUM(ToolCalls) FROM SCHEMA("${ns}", outcome, region, service, tool) ` +
        `WHERE service = '${service}' AND region = '${region}' AND outcome = 'error' GROUP BY tool`,
      usingMetrics: {},
      period: fiveMinutes,
      label: 'failed calls per tool',
    });
    const toolLatencyQuery = new MathExpression({
      expression:
        `SELECT AVG(ToolLatency) FROM SCHEMA("${ns}", region, service, tool) ` +
        `WHERE service = '${service}' AND region = '${region}' GROUP BY tool`,
      usingMetrics: {},
      period: fiveMinutes,
      label: 'average latency per tool (ms)',
    });
    const toolCallsByOutcome = new MathExpression({
      expression: `SEARCH('{${ns},outcome,region,service,tool} MetricName="ToolCalls" ${match}', 'Sum', 300)`,
      usingMetrics: {},
      period: fiveMinutes,
      label: 'tool calls',
    });
    const toolLatencyP99 = new MathExpression({
      expression: `SEARCH('{${ns},region,service,tool} MetricName="ToolLatency" ${match}', 'p99', 300)`,
      usingMetrics: {},
      period: fiveMinutes,
      label: 'tool p99 (ms)',
    });

    // Alarms ----------------------------------------------------------------------------------------
    const alarms: Alarm[] = [];
    const alarm = (alarmId: string, metric: IMetric, options: AlarmOptions): Alarm => {
      const created = new Alarm(this, alarmId, {
        alarmName: props.alarmNamePrefix ? `${props.alarmNamePrefix}-${alarmId.replace(/Alarm/, '')}` : undefined,
        metric,
        threshold: options.threshold,
        comparisonOperator: options.below
          ? ComparisonOperator.LESS_THAN_THRESHOLD
          : ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: options.evaluationPeriods ?? 5,
        datapointsToAlarm: options.datapointsToAlarm === 'all' ? undefined : (options.datapointsToAlarm ?? 3),
        treatMissingData: options.treatMissingData ?? TreatMissingData.NOT_BREACHING,
        alarmDescription: options.description,
      });
      created.addAlarmAction(new SnsAction(this.topic));
      created.addOkAction(new SnsAction(this.topic));
      alarms.push(created);
      return created;
    };

    this.errorRateAlarm = alarm('ErrorRateAlarm', errorRate, {
      threshold: t.errorRatePercent ?? 5,
      description: `More than ${t.errorRatePercent ?? 5}% of MCP requests in ${region} were answered with 5xx. Also rolls back a running deployment.`,
    });
    alarm('RuntimeErrorRateAlarm', runtimeErrorRate, {
      threshold: t.errorRatePercent ?? 5,
      description: `More than ${t.errorRatePercent ?? 5}% of MCP requests in ${region} failed inside the server; the Errors metric's kind dimension says where.`,
    });
    this.latencyAlarm = alarm('LatencyAlarm', latencyP99, {
      threshold: t.latencyP99Ms ?? 3000,
      description: `p99 MCP request latency in ${region} is above ${t.latencyP99Ms ?? 3000} ms. Also rolls back a running deployment.`,
    });
    alarm('CpuAlarm', cpu, {
      threshold: t.saturationPercent ?? 85,
      description: `Average task CPU in ${region} is above ${t.saturationPercent ?? 85}%: autoscaling is at its limit or too slow.`,
    });
    alarm('MemoryAlarm', memory, {
      threshold: t.saturationPercent ?? 85,
      description: `Average task memory in ${region} is above ${t.saturationPercent ?? 85}%: look for a leak or raise memoryMiB.`,
    });
    alarm('RunningTasksAlarm', runningTasks, {
      threshold: props.minRunningTasks ?? 2,
      below: true,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: TreatMissingData.BREACHING,
      description: `Fewer than ${props.minRunningTasks ?? 2} tasks run in ${region}: the service has lost its AZ redundancy.`,
    });
    this.regionHealthAlarm = alarm('RegionHealthAlarm', healthyTargetsForRoute53, {
      threshold: 1,
      below: true,
      // Two of two periods, written without DatapointsToAlarm: Route 53's copy of the alarm
      // configuration has no field for "M out of N".
      evaluationPeriods: 2,
      datapointsToAlarm: 'all',
      treatMissingData: TreatMissingData.BREACHING,
      description: `No healthy target in ${region}: Route 53 takes this region out of the latency records.`,
    });
    alarm('TableLatencyAlarm', tableLatency, {
      threshold: t.dynamoDbLatencyMs ?? 100,
      description: `p99 latency of a session table operation in ${region} is above ${t.dynamoDbLatencyMs ?? 100} ms.`,
    });
    alarm('TableThrottleAlarm', throttles, {
      threshold: 0,
      evaluationPeriods: 5,
      datapointsToAlarm: 2,
      description: `The session table throttled requests in ${region}.`,
    });
    for (const { receivingRegion, metric } of replicationLatency) {
      alarm(`ReplicationLatencyAlarm-${receivingRegion}`, metric, {
        threshold: t.replicationLatencyMs ?? 60_000,
        description: `Session table replication from ${region} to ${receivingRegion} lags by more than ${t.replicationLatencyMs ?? 60_000} ms.`,
      });
    }
    alarm('ToolErrorsAlarm', toolErrorsQuery, {
      threshold: t.toolErrorsPerFiveMinutes ?? 10,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      description: `A tool failed more than ${t.toolErrorsPerFiveMinutes ?? 10} calls in five minutes in ${region}; the contributor names the tool.`,
    });
    alarm('ToolLatencyAlarm', toolLatencyQuery, {
      threshold: t.toolLatencyMs ?? 10_000,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      description: `A tool's average latency in ${region} is above ${t.toolLatencyMs ?? 10_000} ms; the contributor names the tool.`,
    });
    this.alarms = alarms;

    // Dashboard -------------------------------------------------------------------------------------
    const graph = (title: string, left: IMetric[], right?: IMetric[]): GraphWidget =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# MCP service — ${region}\nRequests, errors and latency come from the runtime's metrics (namespace \`${ns}\`, service \`${service}\`) and the load balancer.`,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Requests', [requests, albRequests]),
      graph('Latency (ms)', [latencyP50, latencyP99]),
      graph('5xx and error rate', [target5xx, elb5xx, errorsByKind], [errorRate, runtimeErrorRate]),
    );
    this.dashboard.addWidgets(
      graph('CPU and memory (%)', [cpu, memory]),
      graph('Running tasks and healthy targets', [runningTasks, healthyTargets]),
      graph('Session table latency p99 (ms)', Object.values(operationLatency)),
    );
    this.dashboard.addWidgets(
      graph('Session table throttles', Object.values(throttleMetrics)),
      replicationLatency.length > 0
        ? graph('Replication latency (ms)', replicationLatency.map((r) => r.metric))
        : new TextWidget({ markdown: '### Replication latency\nSingle-region table: nothing replicates.', width: 8, height: 6 }),
      graph('Tool calls by outcome', [toolCallsByOutcome]),
    );
    this.dashboard.addWidgets(
      graph('Failed calls per tool', [toolErrorsQuery]),
      graph('Tool latency p99 (ms)', [toolLatencyP99]),
      graph('Tool latency average (ms)', [toolLatencyQuery]),
    );
    this.dashboard.addWidgets(graph('Refused tokens and rate-limit refusals', [authFailures, rateLimited]));
  }
}

interface AlarmOptions {
  readonly threshold: number;
  readonly description: string;
  readonly below?: boolean;
  readonly evaluationPeriods?: number;
  /** Breaching periods that raise the alarm; `'all'` writes no `DatapointsToAlarm` (every period). */
  readonly datapointsToAlarm?: number | 'all';
  readonly treatMissingData?: TreatMissingData;
}
