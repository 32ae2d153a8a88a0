import { RemovalPolicy, Stack, Tags, Token, Validations } from 'aws-cdk-lib';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  IpAddresses,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { idsInStack } from '../naming.js';

/** Properties of a {@link ServiceNetwork}. */
export interface ServiceNetworkProps {
  /** Key that encrypts the flow log group. */
  readonly logKey: IKey;
  /**
   * Retention of the flow log group.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
  /**
   * NAT gateways (1 to 3). One per AZ keeps egress working when an AZ fails.
   *
   * @default 3
   */
  readonly natGateways?: number;
  /**
   * Address range of the VPC.
   *
   * @default '10.0.0.0/16'
   */
  readonly cidr?: string;
}

/** Availability zones the network spans. */
const AZ_COUNT = 3;

/**
 * The regional network: a VPC over three availability zones with public subnets (load balancer, NAT)
 * and private subnets (tasks), a DynamoDB gateway endpoint so session traffic never leaves the AWS
 * network, an S3 gateway endpoint for image layers, the default security group stripped of all
 * rules, and flow logs of all traffic to an encrypted log group.
 *
 * The stack's availability zones come from the `availability-zones:account=…:region=…` context that
 * `cdk.json` commits; synth never looks them up.
 */
export class ServiceNetwork extends Construct {
  /** The VPC. */
  public readonly vpc: Vpc;
  /** The flow log group. */
  public readonly flowLogGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceNetworkProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const natGateways = props.natGateways ?? AZ_COUNT;
    if (!Number.isInteger(natGateways) || natGateways < 1 || natGateways > AZ_COUNT) {
      throw new Error(`natGateways must be an integer from 1 to ${AZ_COUNT} (got ${natGateways})`);
    }
    const zones = stack.availabilityZones;
    if (Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)) {
      throw new Error('service network needs a stack with a concrete account and region (set env)');
    }
    if (zones.length < AZ_COUNT || zones.some((zone) => Token.isUnresolved(zone) || zone.startsWith('dummy'))) {
      throw new Error(
        `service network needs ${AZ_COUNT} availability zones from the context key ` +
          `"availability-zones:account=${stack.account}:region=${stack.region}" in cdk.json (got ${JSON.stringify(zones)})`,
      );
    }

    this.vpc = new Vpc(this, 'Resource', {
      ipAddresses: IpAddresses.cidr(props.cidr ?? '10.0.0.0/16'),
      availabilityZones: zones.slice(0, AZ_COUNT),
      natGateways,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24, mapPublicIpOnLaunch: false },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      restrictDefaultSecurityGroup: true,
      gatewayEndpoints: {
        DynamoDb: { service: GatewayVpcEndpointAwsService.DYNAMODB },
        S3: { service: GatewayVpcEndpointAwsService.S3 },
      },
    });

    this.flowLogGroup = new LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logKey,
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      // Kept when the stack is deleted; removed with the rollback of a failed first create.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const flowLog = this.vpc.addFlowLog('FlowLog', {
      destination: FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
      trafficType: FlowLogTrafficType.ALL,
    });

    // CDK tags the VPC's resources with `Name` = their path in the whole app, which differs between
    // `cdk deploy` and the pipeline; name them from the stack name and their path inside the stack.
    for (const named of [this.vpc, ...this.vpc.publicSubnets, ...this.vpc.privateSubnets]) {
      Tags.of(named).add('Name', `${stack.stackName}/${idsInStack(named).join('/')}`, { priority: 200 });
    }

    for (const subnet of this.vpc.publicSubnets) {
      Validations.of(subnet).acknowledge({
        id: 'NIST.800.53.R5-VPCNoUnrestrictedRouteToIGW',
        reason:
          'Public subnets hold only the internet-facing load balancer and the NAT gateways, which need the route to ' +
          'the internet gateway. Tasks run in private subnets without public addresses.',
      });
    }
    const flowLogRole = flowLog.node.tryFindChild('IAMRole');
    if (flowLogRole) {
      Validations.of(flowLogRole).acknowledge({
        id: 'NIST.800.53.R5-IAMNoInlinePolicy',
        reason:
          'The inline policy lets VPC Flow Logs write to this one log group; a managed policy could be attached to ' +
          'other principals, which least privilege rules out here.',
      });
    }
    // The provider that strips the default security group's rules (restrictDefaultSecurityGroup).
    const restrictProvider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
    if (restrictProvider) {
      Validations.of(restrictProvider).acknowledge({
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason:
          'CDK-provided function that runs only during deployment to remove the rules of the VPC default security ' +
          'group; it calls the EC2 API, handles no data and serves no traffic.',
      });
    }
  }
}
