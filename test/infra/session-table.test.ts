import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { SESSION_TABLE, SESSION_TABLE_ACTIONS } from '../../runtime/src/session/table-schema.js';
import { grantSessionStore, SessionTable } from '../../lib/constructs/session-table.js';
import { newApp } from './support.js';

const env = { account: '111111111111', region: 'eu-west-1' };

function tableTemplate(): Template {
  const stack = new Stack(newApp(), 'Data', { env });
  new SessionTable(stack, 'SessionTable', { tableName: 'sessions', replicaRegions: ['eu-central-1', 'us-east-1'] });
  return Template.fromStack(stack);
}

describe('SessionTable', () => {
  // GIVEN a session table in eu-west-1 with replicas in eu-central-1 and us-east-1
  // WHEN it is synthesized (once, shared by the tests of this block)
  const template = tableTemplate();

  test('uses the key names and TTL attribute the runtime defines, and no secondary index', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: SESSION_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: SESSION_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: SESSION_TABLE.ttlAttribute, Enabled: true },
      GlobalSecondaryIndexes: Match.absent(),
    });
  });

  test('replicates to every service region, its own region included', () => {
    const tables = Object.values(template.findResources('AWS::DynamoDB::GlobalTable'));
    const regions = tables.flatMap((t) => (t.Properties.Replicas as Array<{ Region: string }>).map((r) => r.Region));
    assert.deepEqual(regions.sort(), ['eu-central-1', 'eu-west-1', 'us-east-1']);
  });

  test('turns on point-in-time recovery on every replica, and no deletion protection by default', () => {
    // A failed first create rolls back by deleting the table, which deletion protection refuses.
    const tables = template.findResources('AWS::DynamoDB::GlobalTable');
    const replicas = Object.values(tables).flatMap((t) => t.Properties.Replicas as Array<Record<string, unknown>>);
    assert.equal(replicas.length, 3);
    for (const replica of replicas) {
      assert.deepEqual(replica.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
      assert.equal(replica.DeletionProtectionEnabled, false);
    }
  });

  test('turns on deletion protection on every replica when asked (after the first deployment)', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Data', { env });
    // WHEN
    new SessionTable(stack, 'SessionTable', { replicaRegions: ['eu-central-1'], deletionProtection: true });
    // THEN
    const [table] = Object.values(Template.fromStack(stack).findResources('AWS::DynamoDB::GlobalTable'));
    const replicas = table!.Properties.Replicas as Array<Record<string, unknown>>;
    assert.deepEqual(replicas.map((r) => r.DeletionProtectionEnabled), [true, true]);
  });

  test('encrypts at rest with KMS and bills on demand', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  test('is retained when it leaves the stack, but removed by the rollback of a failed first create', () => {
    // Its name is fixed: a table left behind by a failed create would stop the retry ("already exists").
    template.hasResource('AWS::DynamoDB::GlobalTable', { DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain' });
  });

  test('fails when the replicas repeat the stack region', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Data', { env });
    // WHEN / THEN
    assert.throws(
      () => new SessionTable(stack, 'SessionTable', { replicaRegions: ['eu-west-1'] }),
      /replicaRegions must not repeat the stack's region \(got "eu-west-1"\)/,
    );
  });

  test('fails without a concrete region', () => {
    // GIVEN an environment-agnostic stack
    const stack = new Stack(newApp(), 'Data');
    // WHEN / THEN
    assert.throws(() => new SessionTable(stack, 'SessionTable'), /needs a stack with a concrete region/);
  });
});

describe('grantSessionStore', () => {
  test('grants exactly the store actions on the local replica and nothing on any index', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Service', { env: { account: '111111111111', region: 'eu-central-1' } });
    const role = new Role(stack, 'TaskRole', { assumedBy: new ServicePrincipal('ecs-tasks.amazonaws.com') });
    const table = TableV2.fromTableName(stack, 'Table', 'sessions');
    // WHEN
    grantSessionStore(table, role);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: [...SESSION_TABLE_ACTIONS].sort(),
            Resource: 'arn:aws:dynamodb:eu-central-1:111111111111:table/sessions',
          },
        ],
      },
    });
  });
});
