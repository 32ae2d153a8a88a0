import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ApplicationLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Key } from 'aws-cdk-lib/aws-kms';
import { WebFirewall, type WebFirewallSignIn } from '../../lib/constructs/web-firewall.js';
import { newApp } from './support.js';

const signIn: WebFirewallSignIn = {
  registerPath: '/oauth/register',
  tokenPath: '/oauth/token',
  authorizePath: '/oauth/authorize',
  registerLimit: 100,
  tokenLimit: 3000,
  authorizeLimit: 1000,
};

function firewall(change: Partial<WebFirewallSignIn> = {}, rateLimit = 30_000): Template {
  const stack = new Stack(newApp(), 'Firewall', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = new Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0 });
  const loadBalancer = new ApplicationLoadBalancer(stack, 'LoadBalancer', { vpc });
  new WebFirewall(stack, 'Firewall', { loadBalancer, logKey: new Key(stack, 'Key'), rateLimit, signIn: { ...signIn, ...change } });
  return Template.fromStack(stack);
}

describe('WebFirewall with sign-in', () => {
  test('places every rule at its own priority, the label rule after the core rule set', () => {
    // GIVEN / WHEN
    const [acl] = Object.values(firewall().findResources('AWS::WAFv2::WebACL'));
    // THEN
    const rules = (acl!.Properties.Rules as Array<{ Name: string; Priority: number }>).map((r) => [r.Name, r.Priority]);
    assert.deepEqual(rules, [
      ['RateLimitPerClientIp', 0],
      ['SignInRateLimitRegister', 1],
      ['SignInRateLimitToken', 2],
      ['SignInRateLimitAuthorize', 3],
      ['AWSManagedRulesAmazonIpReputationList', 4],
      ['AWSManagedRulesCommonRuleSet', 5],
      ['AWSManagedRulesKnownBadInputsRuleSet', 6],
      ['RemoteFileInclusionInQueryOutsideAuthorize', 7],
    ]);
  });

  test('fails for a sign-in limit below WAF\'s minimum, above the per-IP limit or not an integer', () => {
    assert.throws(() => firewall({ registerLimit: 9 }), /the register rate limit must be an integer from 10 to rateLimit 30000 \(got 9\)/);
    assert.throws(() => firewall({ tokenLimit: 30_001 }), /the token rate limit must be an integer from 10 to rateLimit 30000 \(got 30001\)/);
    assert.throws(() => firewall({ authorizeLimit: 12.5 }), /the authorize rate limit must be an integer .* \(got 12\.5\)/);
  });

  test('fails for a sign-in path that is not absolute', () => {
    assert.throws(() => firewall({ tokenPath: 'oauth/token' }), /sign-in paths must start with "\/" \(got "oauth\/token"\)/);
  });
});
