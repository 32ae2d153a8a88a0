import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import {
  AttributeType,
  Billing,
  type ITableV2,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { SESSION_TABLE, SESSION_TABLE_ACTIONS } from '../../runtime/src/session/table-schema.js';

/** Properties of a {@link SessionTable}. */
export interface SessionTableProps {
  /**
   * Physical table name. Service stacks in other regions find their replica by this name.
   *
   * @default - CloudFormation generates a name
   */
  readonly tableName?: string;
  /**
   * Regions that hold a replica besides the stack's own region. Must not contain the stack's region.
   *
   * @default - no replicas (a single-region table)
   */
  readonly replicaRegions?: readonly string[];
  /**
   * What happens to the table (and its replicas) when it leaves the stack. The default keeps it,
   * except after a failed first create (`RetainExceptOnCreate`), so that a retry does not find a
   * table of the same fixed name in its way.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * DynamoDB deletion protection on every replica. Leave it off for the first deployment: a failed
   * first create rolls back by deleting the table, which deletion protection refuses.
   *
   * @default false
   */
  readonly deletionProtection?: boolean;
}

/**
 * The session store's DynamoDB table: a global table (`TableV2`) with a replica in every service
 * region, keys and TTL attribute exactly as the runtime's `SESSION_TABLE` defines them,
 * on-demand billing, point-in-time recovery and deletion protection on every replica, and encryption
 * at rest with KMS.
 */
export class SessionTable extends Construct {
  /** The global table (its primary replica lives in this stack's region). */
  public readonly table: TableV2;

  constructor(scope: Construct, id: string, props: SessionTableProps = {}) {
    super(scope, id);

    const region = Stack.of(this).region;
    if (Token.isUnresolved(region)) {
      throw new Error('session table needs a stack with a concrete region (set env.region)');
    }
    const replicaRegions = props.replicaRegions ?? [];
    if (replicaRegions.includes(region)) {
      throw new Error(`replicaRegions must not repeat the stack's region (got "${region}")`);
    }
    const duplicate = replicaRegions.find((r, index) => replicaRegions.indexOf(r) !== index);
    if (duplicate) {
      throw new Error(`replicaRegions must not repeat a region (got "${duplicate}")`);
    }

    this.table = new TableV2(this, 'Resource', {
      tableName: props.tableName,
      partitionKey: attribute(SESSION_TABLE.partitionKey),
      sortKey: attribute(SESSION_TABLE.sortKey),
      timeToLiveAttribute: SESSION_TABLE.ttlAttribute,
      billing: Billing.onDemand(),
      // KMS encryption at rest with the AWS managed key of each replica region. A customer managed key
      // would need one key per replica region created before the table; see the README.
      encryption: TableEncryptionV2.awsManagedKey(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? false,
      replicas: replicaRegions.map((replicaRegion) => ({ region: replicaRegion })),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
    });
  }

  /** Grants exactly the session store's DynamoDB actions on this region's replica. */
  public grantSessionStore(grantee: IGrantable): Grant {
    return grantSessionStore(this.table, grantee);
  }
}

/** A key attribute with the DynamoDB type the runtime's schema gives it (string when it names none). */
function attribute(name: string): { name: string; type: AttributeType } {
  const types: Readonly<Record<string, string>> = 'attributeTypes' in SESSION_TABLE ? SESSION_TABLE.attributeTypes : {};
  const type = types[name] ?? 'S';
  switch (type) {
    case 'S':
      return { name, type: AttributeType.STRING };
    case 'N':
      return { name, type: AttributeType.NUMBER };
    case 'B':
      return { name, type: AttributeType.BINARY };
    default:
      throw new Error(`session table attribute "${name}" has an unknown type (got "${type}")`);
  }
}

/**
 * Grants the session store's actions (`SESSION_TABLE_ACTIONS`) on a session table replica: nothing
 * more (the table has no index), no wildcards.
 *
 * @param table the table as seen from the grantee's region (for example `TableV2.fromTableName`)
 * @param grantee the task role
 */
export function grantSessionStore(table: ITableV2, grantee: IGrantable): Grant {
  return Grant.addToPrincipal({
    grantee,
    actions: [...SESSION_TABLE_ACTIONS],
    resourceArns: [table.tableArn],
  });
}
