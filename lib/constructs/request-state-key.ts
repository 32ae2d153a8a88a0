import { RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Secret as EcsSecret } from 'aws-cdk-lib/aws-ecs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/** Properties of a {@link RequestStateKey}. */
export interface RequestStateKeyProps {
  /** Physical name of the secret, identical in every region: service stacks find their replica by it. */
  readonly secretName: string;
  /**
   * Regions that hold a replica besides the stack's own region. Must not contain the stack's region.
   *
   * @default - no replicas (a single-region deployment)
   */
  readonly replicaRegions?: readonly string[];
  /**
   * What happens to the secret when it leaves the stack. Losing it only ends the rounds in flight.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The key that seals the runtime's multi round-trip `requestState` (`MCP_REQUEST_STATE_KEY`): a
 * Secrets Manager secret created in the primary region with a replica in every other service
 * region, so every task of the fleet seals and opens with the same key and a round started in one
 * region may finish in another.
 *
 * Secrets Manager generates the value: 43 characters of `[A-Za-z0-9]`, which are base64 of 32 bytes
 * and carry 256 bits of entropy (43 × log2 62). Nobody handles it. Service stacks read their region's
 * replica by name with {@link RequestStateKey.containerSecret}, which grants the task's execution
 * role `GetSecretValue` on that one secret only.
 *
 * To rotate: put a new value first in the comma-separated list, keep the old one second for one
 * state lifetime (`MCP_REQUEST_STATE_TTL_SECONDS`), then drop it. No rotation Lambda is deployed.
 */
export class RequestStateKey extends Construct {
  /** The secret (its primary copy lives in this stack's region). */
  public readonly secret: Secret;

  constructor(scope: Construct, id: string, props: RequestStateKeyProps) {
    super(scope, id);
    const region = Stack.of(this).region;
    const replicaRegions = props.replicaRegions ?? [];
    if (replicaRegions.includes(region)) throw new Error(`replicaRegions must not repeat the stack's region (got "${region}")`);
    const duplicate = replicaRegions.find((r, index) => replicaRegions.indexOf(r) !== index);
    if (duplicate !== undefined) throw new Error(`replicaRegions must not repeat a region (got "${duplicate}")`);

    this.secret = new Secret(this, 'Resource', {
      secretName: props.secretName,
      description: 'Seals the MCP runtime requestState (MCP_REQUEST_STATE_KEY): base64 of 32 bytes',
      generateSecretString: { passwordLength: 43, excludePunctuation: true, includeSpace: false, requireEachIncludedType: false },
      replicaRegions: replicaRegions.map((replica) => ({ region: replica })),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
    const rotation =
      'The key protects request states that live minutes (MCP_REQUEST_STATE_TTL_SECONDS). It is rotated by ' +
      'putting a new value first in the list the runtime reads (the old one opens the states in flight), a ' +
      'deliberate two-step change rather than a rotation Lambda that would cut rounds in flight.';
    Validations.of(this.secret).acknowledge(
      { id: 'AwsSolutions-SMG4', reason: rotation },
      { id: 'NIST.800.53.R5-SecretsManagerRotationEnabled', reason: rotation },
      {
        id: 'NIST.800.53.R5-SecretsManagerUsingKMSKey',
        reason:
          'Encrypted at rest with the AWS managed key aws/secretsmanager of each region. A customer managed key ' +
          'would have to exist in every replica region before this stack (a cross-region dependency CloudFormation ' +
          'cannot express) and would add no access control: only the task execution role may read the secret, by name.',
      },
    );
  }

  /**
   * The ECS secret that hands this region's replica of the key named `secretName` to a container.
   * Added to a container, it grants the task's execution role `GetSecretValue` (and `DescribeSecret`)
   * on that secret only (`…:secret:<name>-??????`).
   */
  static containerSecret(scope: Construct, id: string, secretName: string): EcsSecret {
    const secret: ISecret = Secret.fromSecretNameV2(scope, id, secretName);
    return EcsSecret.fromSecretsManager(secret);
  }

}
