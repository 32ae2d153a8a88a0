import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

/** Properties of a {@link RegionalParameters}. */
export interface RegionalParametersProps {
  /** Parameter names and their values (tokens allowed). */
  readonly parameters: Readonly<Record<string, string>>;
  /** Regions (other than this stack's) that get a copy of every parameter. */
  readonly regions: readonly string[];
}

/**
 * Copies plain SSM parameters of this stack into other regions at deploy time, so that a service in
 * each of those regions reads its own region's copy when a task starts and keeps starting tasks while
 * this stack's region is down. CloudFormation cannot write into another region, so a CDK
 * `AwsCustomResource` calls `ssm:PutParameter` there on create and on every change of a value, and
 * `ssm:DeleteParameter` when the copy leaves the stack. Its function runs only during deployments.
 */
export class RegionalParameters extends Construct {
  /** The custom resources, one per region and parameter. */
  public readonly copies: readonly AwsCustomResource[];

  constructor(scope: Construct, id: string, props: RegionalParametersProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.regions.includes(stack.region)) {
      throw new Error(`regions must not repeat the stack's region (got "${stack.region}")`);
    }
    const copies: AwsCustomResource[] = [];
    for (const region of props.regions) {
      for (const [index, [name, value]] of Object.entries(props.parameters).entries()) {
        const arn = stack.formatArn({
          service: 'ssm',
          region,
          resource: 'parameter',
          resourceName: name.replace(/^\//, ''),
          arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
        });
        const put = {
          service: 'SSM',
          action: 'putParameter',
          region,
          parameters: { Name: name, Value: value, Type: 'String', Overwrite: true, Description: `Copy of ${name} from ${stack.region}` },
          physicalResourceId: PhysicalResourceId.of(`${region}:${name}`),
        };
        copies.push(
          new AwsCustomResource(this, `${region}-${index}`, {
            onCreate: put,
            onUpdate: put,
            onDelete: { service: 'SSM', action: 'deleteParameter', region, parameters: { Name: name }, ignoreErrorCodesMatching: 'ParameterNotFound' },
            policy: AwsCustomResourcePolicy.fromStatements([
              new PolicyStatement({ actions: ['ssm:PutParameter', 'ssm:DeleteParameter'], resources: [arn] }),
            ]),
            installLatestAwsSdk: false,
          }),
        );
      }
    }
    this.copies = copies;
    for (const copy of copies) {
      const policy = copy.node.tryFindChild('CustomResourcePolicy');
      if (policy) {
        Validations.of(policy).acknowledge({
          id: 'NIST.800.53.R5-IAMNoInlinePolicy',
          reason: 'The inline policy lets the deploy-time function write and delete exactly this one parameter copy.',
        });
      }
    }
    // The function every AwsCustomResource of the stack shares (a singleton at the stack's root).
    const provider = stack.node.tryFindChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    if (provider) {
      const deployTimeOnly =
        'CDK-provided function behind AwsCustomResource that runs only while CloudFormation deploys this stack, to ' +
        'copy the identity parameters (pool id and client ids, not secrets) into the other service regions. ';
      Validations.of(provider).acknowledge(
        {
          id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
          reason: deployTimeOnly + 'The AWS managed policy lets it write its own logs; CDK attaches it and nothing else uses the role.',
        },
        { id: 'NIST.800.53.R5-LambdaConcurrency', reason: deployTimeOnly + 'CloudFormation calls it a few times per deployment.' },
        { id: 'NIST.800.53.R5-LambdaDLQ', reason: deployTimeOnly + 'CloudFormation waits for its answer and fails the deployment otherwise; nothing is lost.' },
        { id: 'NIST.800.53.R5-LambdaInsideVPC', reason: deployTimeOnly + 'It calls only the SSM API and serves no traffic.' },
        { id: 'cdk-validator-cfnguard::lambda_inside_vpc_check', reason: deployTimeOnly + 'It calls only the SSM API and serves no traffic.' },
        {
          id: 'NIST.800.53.R5-CloudWatchLogGroupEncrypted',
          reason: deployTimeOnly + 'Its log holds SSM call results, no secrets; CloudWatch Logs encrypts it with its service key.',
        },
        {
          id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
          reason: deployTimeOnly + 'Its log holds SSM call results, no secrets; CloudWatch Logs encrypts it with its service key.',
        },
      );
    }
  }
}

/** Construct id of the singleton function behind every `AwsCustomResource` of a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`;
