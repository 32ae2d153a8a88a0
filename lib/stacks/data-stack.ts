import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { RequestStateKey } from '../constructs/request-state-key.js';
import { SessionTable } from '../constructs/session-table.js';

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
}

/**
 * The primary region's data stack: the session table as a global table with a replica in every
 * other service region, and the requestState key secret replicated the same way.
 */
export class DataStack extends Stack {
  /** The session table. */
  public readonly sessionTable: SessionTable;
  /** The key that seals the runtime's requestState, replicated like the table. */
  public readonly requestStateKey: RequestStateKey;

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
  }
}
