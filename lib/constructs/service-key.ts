import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties of a {@link ServiceKey}. */
export interface ServiceKeyProps {
  /**
   * Description shown in the KMS console.
   *
   * @default 'Encrypts the MCP service logs and alarm notifications'
   */
  readonly description?: string;
  /**
   * What happens to the key when it leaves the stack. Logs stay unreadable without it.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except after a failed first create)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The customer managed KMS key of one stack (a regional service stack, the pipeline stack). It
 * encrypts the stack's CloudWatch log groups and its SNS topics, rotates yearly, and its key policy
 * lets exactly two service principals use it: CloudWatch Logs for log groups of this account and
 * region, and CloudWatch to publish alarm notifications to an encrypted topic. Grants on the key can
 * only be created for AWS resources (AWS Control Tower control CT.KMS.PR.3).
 */
export class ServiceKey extends Construct {
  /** The key. */
  public readonly key: IKey;

  constructor(scope: Construct, id: string, props: ServiceKeyProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);

    const key = new Key(this, 'Resource', {
      description: props.description ?? 'Encrypts the MCP service logs and alarm notifications',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });

    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccountAndRegion',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
          },
        },
      }),
    );
    key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToEncryptedTopic',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    restrictGrantsToAwsResources(key);
    this.key = key;
  }
}

/**
 * Adds the key policy statement that lets principals create grants on `key` only for AWS resources
 * (`kms:GrantIsForAWSResource`) or as an AWS service: the AWS Control Tower control CT.KMS.PR.3.
 */
export function restrictGrantsToAwsResources(key: Key): void {
  key.addToResourcePolicy(grantsOnlyForAwsResources());
}

/** The key policy statement of {@link restrictGrantsToAwsResources}, for a policy written whole (a replica key's). */
export function grantsOnlyForAwsResources(): PolicyStatement {
  return new PolicyStatement({
    sid: 'GrantsOnlyForAwsResources',
    effect: Effect.DENY,
    principals: [new AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' },
    },
  });
}
