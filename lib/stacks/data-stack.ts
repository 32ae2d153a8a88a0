import { Stack, type StackProps } from 'aws-cdk-lib';
import { StringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { RegionalParameters } from '../constructs/regional-parameters.js';
import { RequestStateKey } from '../constructs/request-state-key.js';
import { SessionTable } from '../constructs/session-table.js';
import { TokenSigningKey } from '../constructs/token-signing-key.js';

/** Properties of a {@link DataStack}. */
export interface DataStackProps extends StackProps {
  /** Physical name of the session table, identical in every region. */
  readonly tableName: string;
  /** Service regions besides this stack's region; each gets a replica. */
  readonly replicaRegions: readonly string[];
  /** DynamoDB deletion protection (off for the first deployment). */
  readonly deletionProtection: boolean;
  /** Name of the requestState key secret, identical in every region. */
  readonly requestStateKeyName: string;
  /**
   * The sign-in broker's token signing key: the multi-Region primary here, its ARN in an SSM
   * parameter of this and every replica region, where the service stacks make the replicas.
   *
   * @default - no signing key (no sign-in broker)
   */
  readonly tokenSigningKey?: { readonly aliasName: string; readonly arnParameterName: string };
}

/**
 * The primary region's data stack: the session table as a global table with a replica in every
 * other service region, the requestState key secret replicated the same way, and the sign-in
 * broker's multi-Region token signing key.
 */
export class DataStack extends Stack {
  /** The session table. */
  public readonly sessionTable: SessionTable;
  /** The key that seals the runtime's requestState, replicated like the table. */
  public readonly requestStateKey: RequestStateKey;
  /** The multi-Region primary of the token signing key, when there is one. */
  public readonly tokenSigningKey?: TokenSigningKey;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.sessionTable = new SessionTable(this, 'SessionTable', {
      tableName: props.tableName,
      replicaRegions: props.replicaRegions,
      deletionProtection: props.deletionProtection,
    });
    this.requestStateKey = new RequestStateKey(this, 'RequestStateKey', {
      secretName: props.requestStateKeyName,
      replicaRegions: props.replicaRegions,
    });
    if (props.tokenSigningKey) {
      const key = new TokenSigningKey(this, 'TokenSigningKey', { aliasName: props.tokenSigningKey.aliasName });
      const name = props.tokenSigningKey.arnParameterName;
      new StringParameter(this, 'TokenSigningKeyArn', { parameterName: name, stringValue: key.keyArn, description: 'ARN of the sign-in broker\'s token signing key (multi-Region primary)' });
      if (props.replicaRegions.length > 0) new RegionalParameters(this, 'TokenSigningKeyArnCopies', { parameters: { [name]: key.keyArn }, regions: props.replicaRegions });
      this.tokenSigningKey = key;
    }
  }
}
