import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SessionTable } from '../constructs/session-table.js';

/** Properties of a {@link DataStack}. */
export interface DataStackProps extends StackProps {
  /** Physical name of the session table, identical in every region. */
  readonly tableName: string;
  /** Service regions besides this stack's region; each gets a replica. */
  readonly replicaRegions: readonly string[];
  /** DynamoDB deletion protection (off for the first deployment). */
  readonly deletionProtection: boolean;
}

/**
 * The primary region's data stack: the session table as a global table with a replica in every
 * other service region.
 */
export class DataStack extends Stack {
  /** The session table. */
  public readonly sessionTable: SessionTable;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    this.sessionTable = new SessionTable(this, 'SessionTable', {
      tableName: props.tableName,
      replicaRegions: props.replicaRegions,
      deletionProtection: props.deletionProtection,
    });
  }
}
