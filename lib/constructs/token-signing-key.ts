import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AccountRootPrincipal, Grant, type IGrantable, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { CfnAlias, CfnReplicaKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { grantsOnlyForAwsResources, restrictGrantsToAwsResources } from './service-key.js';

/** What the broker's task role may do with the token signing key: sign, and read the public key for the JWKS. */
export const TOKEN_SIGNING_ACTIONS = ['kms:Sign', 'kms:GetPublicKey'] as const;

/** Properties of a {@link TokenSigningKey}. */
export interface TokenSigningKeyProps {
  /** The key's alias in this region (`alias/…`); every region gives its replica the same alias. */
  readonly aliasName: string;
  /**
   * ARN of the multi-Region primary key. Given, this region holds a replica of it
   * (`AWS::KMS::ReplicaKey`, the same key material); otherwise this region holds the primary.
   *
   * @default - this region holds the primary key
   */
  readonly primaryKeyArn?: string;
  /**
   * What happens to the key when it leaves the stack. Tokens it signed stop verifying without it.
   *
   * @default RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE (kept, except after a failed first create)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The key that signs the sign-in broker's access tokens in one region: an asymmetric KMS
 * multi-Region key (ECC_NIST_P256, SIGN_VERIFY, ES256), the primary in the primary region and a
 * replica of it in every other, so every region signs with the same key material and publishes the
 * same public key, and the private key never leaves KMS. The key policy leaves administration to the
 * account's IAM (no principal is named in it) and lets grants be made only for AWS resources
 * (CT.KMS.PR.3); the task role gets {@link TOKEN_SIGNING_ACTIONS} on this key alone.
 *
 * Asymmetric keys have no automatic rotation: a new key is introduced beside the old one (see the
 * README, "Signing key").
 */
export class TokenSigningKey extends Construct {
  /** This region's key ARN (the primary's, or the replica's: the same `mrk-…` key id, another region). */
  public readonly keyArn: string;
  /** The alias, the same in every region. */
  public readonly aliasName: string;

  constructor(scope: Construct, id: string, props: TokenSigningKeyProps) {
    super(scope, id);
    if (!props.aliasName.startsWith('alias/') || props.aliasName.startsWith('alias/aws/')) {
      throw new Error(`aliasName must start with "alias/" and not name an AWS managed key (got "${props.aliasName}")`);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;
    const description = 'Signs the MCP sign-in broker\'s access tokens (ES256); multi-Region';
    this.aliasName = props.aliasName;

    if (props.primaryKeyArn === undefined) {
      const key = new Key(this, 'Resource', {
        description,
        keySpec: KeySpec.ECC_NIST_P256,
        keyUsage: KeyUsage.SIGN_VERIFY,
        multiRegion: true,
        pendingWindow: Duration.days(30),
        removalPolicy,
      });
      restrictGrantsToAwsResources(key);
      key.addAlias(props.aliasName);
      this.keyArn = key.keyArn;
      return;
    }

    const replica = new CfnReplicaKey(this, 'Resource', {
      primaryKeyArn: props.primaryKeyArn,
      description,
      pendingWindowInDays: 30,
      // The same policy as the primary's (a replica's policy is its own, not replicated).
      keyPolicy: new PolicyDocument({
        statements: [
          new PolicyStatement({ sid: 'AccountIamAdministers', principals: [new AccountRootPrincipal()], actions: ['kms:*'], resources: ['*'] }),
          grantsOnlyForAwsResources(),
        ],
      }),
    });
    replica.applyRemovalPolicy(removalPolicy);
    new CfnAlias(this, 'Alias', { aliasName: props.aliasName, targetKeyId: replica.attrKeyId });
    this.keyArn = replica.attrArn;
  }

  /** Grants {@link TOKEN_SIGNING_ACTIONS} on this region's key, and nothing else. */
  public grantSign(grantee: IGrantable): Grant {
    return grantTokenSigning(this.keyArn, grantee);
  }
}

/**
 * Grants {@link TOKEN_SIGNING_ACTIONS} on one key ARN (no wildcard): for a stack that uses a key
 * another stack of its region created.
 */
export function grantTokenSigning(keyArn: string, grantee: IGrantable): Grant {
  return Grant.addToPrincipal({ grantee, actions: [...TOKEN_SIGNING_ACTIONS], resourceArns: [keyArn] });
}
