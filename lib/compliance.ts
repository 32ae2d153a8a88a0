import { Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * Registers the compliance checks every synth runs: cdk-nag's AWS Solutions and NIST 800-53 rev 5
 * packs and the CloudFormation Guard validator with the AWS Control Tower proactive controls.
 * An unacknowledged finding fails the synth. Findings that do not fit are acknowledged next to the
 * construct that causes them, with the reason (`Validations.of(construct).acknowledge`).
 *
 * @param app the app or stage whose stacks are checked (nested stages included)
 */
export function addComplianceChecks(app: Construct): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new NIST80053R5Checks(app),
    new CfnGuardValidator(),
  );
}
