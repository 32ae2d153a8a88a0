import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import type { IUserPool } from 'aws-cdk-lib/aws-cognito';
import { AccountPrincipal, PolicyStatement, Role } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** Properties of a {@link SmokeTestAccess}. */
export interface SmokeTestAccessProps {
  /** The user pool whose machine client the smoke test signs in with. */
  readonly userPool: IUserPool;
  /** Names of the SSM parameters (this stack's region) the smoke test reads: pool id, client id. */
  readonly parameterNames: readonly string[];
  /** Account of the pipeline. */
  readonly toolchainAccount: string;
  /** Name of the smoke test's CodeBuild role in the toolchain account; only it may assume this role. */
  readonly runnerRoleName: string;
  /** Name of the role created here (fixed, so the pipeline can name it before it exists). */
  readonly roleName: string;
}

/**
 * A read-only role in the staging account that the pipeline's smoke test assumes to sign in with the
 * staging machine client: it reads the pool id and the client id from SSM and the client's current
 * secret from Cognito (`DescribeUserPoolClient`) at the start of every run.
 *
 * Why a role and not a copied secret: the machine client and its secret only come into being when this
 * stack deploys, after the pipeline exists, so a secret in the toolchain account would have to be copied
 * there by hand before the first run. Read at run time, there is no copy to create, leak or refresh:
 * rotating the client secret in Cognito takes effect at the next smoke test, without a deployment.
 *
 * Only the named CodeBuild role of the toolchain account may assume it (trust on the account, narrowed
 * by `aws:PrincipalArn`, which stays valid before that role exists). `DescribeUserPoolClient` has no
 * per-client resource: the role can read every app client of this staging pool, and nothing else.
 */
export class SmokeTestAccess extends Construct {
  /** The role the smoke test assumes. */
  public readonly role: Role;

  constructor(scope: Construct, id: string, props: SmokeTestAccessProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const runnerRoleArn = `arn:${stack.partition}:iam::${props.toolchainAccount}:role/${props.runnerRoleName}`;
    this.role = new Role(this, 'Resource', {
      roleName: props.roleName,
      description: 'Assumed by the pipeline smoke test to read the staging machine client credentials',
      assumedBy: new AccountPrincipal(props.toolchainAccount).withConditions({
        ArnEquals: { 'aws:PrincipalArn': runnerRoleArn },
      }),
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadMachineClientCredentials',
        actions: ['cognito-idp:DescribeUserPoolClient'],
        resources: [props.userPool.userPoolArn],
      }),
    );
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'ReadIdentityParameters',
        actions: ['ssm:GetParameter'],
        resources: props.parameterNames.map((name) =>
          stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: name.replace(/^\//, ''), arnFormat: ArnFormat.SLASH_RESOURCE_NAME }),
        ),
      }),
    );
    Validations.of(this.role).acknowledge({
      id: 'NIST.800.53.R5-IAMNoInlinePolicy',
      reason:
        'The inline policy belongs to this one role and names the staging user pool and two parameters; a managed ' +
        'policy could be attached to other principals, which least privilege rules out here.',
    });
  }
}
