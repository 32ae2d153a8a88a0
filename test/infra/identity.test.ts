import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Identity, type IdentityProps } from '../../lib/constructs/identity.js';
import { newApp } from './support.js';

const env = { account: '111111111111', region: 'eu-west-1' };

const props: IdentityProps = {
  domainPrefix: 'mcp-test-login',
  callbackUrls: ['http://localhost:33418/callback'],
  scopes: [
    { name: 'mcp:identity.read', description: 'Read the identity' },
    { name: 'mcp:notes.write', description: 'Write notes' },
  ],
  groups: [{ name: 'operators', description: 'Operators' }],
  machineClients: [{ name: 'smoke-test', scopes: ['mcp:identity.read'] }],
  parameterNames: { userPoolId: '/kit/test/user-pool-id', clientIds: '/kit/test/client-ids' },
};

function identityTemplate(): Template {
  const stack = new Stack(newApp(), 'Identity', { env });
  new Identity(stack, 'Identity', props);
  return Template.fromStack(stack);
}

describe('Identity', () => {
  // GIVEN a pool with two scopes, a group, a machine client and published parameters
  // WHEN it is synthesized (once, shared by the tests of this block)
  const template = identityTemplate();

  test('creates users by administrators only (no self sign-up)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  test('requires TOTP MFA and never SMS', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  test('enforces threat protection on the Plus feature plan', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UserPoolTier: 'PLUS',
      UserPoolAddOns: { AdvancedSecurityMode: 'ENFORCED' },
    });
  });

  test('has a strong password policy', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: Match.objectLike({
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        }),
      },
    });
  });

  test('keeps the pool when the stack is deleted, but not after a failed first create, which deletion protection would block', () => {
    template.hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });

  test('protects the pool from deletion when asked (after the first deployment)', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Identity', { env });
    // WHEN
    new Identity(stack, 'Identity', { ...props, deletionProtection: true });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::Cognito::UserPool', { DeletionProtection: 'ACTIVE' });
  });

  test('copies every parameter into each other service region, with the value it has here', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Identity', { env });
    // WHEN
    new Identity(stack, 'Identity', {
      ...props,
      parameterNames: { ...props.parameterNames!, machineClientId: (name) => `/kit/test/machine-clients/${name}/client-id` },
      parameterRegions: ['eu-central-1'],
    });
    // THEN
    const copies = Object.values(Template.fromStack(stack).findResources('Custom::AWS')).map(
      (r) => JSON.parse(JSON.stringify(r.Properties.Create)) as unknown,
    );
    const calls = copies.map((create) => JSON.stringify(create));
    for (const name of ['/kit/test/user-pool-id', '/kit/test/client-ids', '/kit/test/machine-clients/smoke-test/client-id']) {
      const call = calls.find((c) => c.includes(`\\"Name\\":\\"${name}\\"`));
      assert.ok(call, `no copy of ${name}`);
      assert.match(call, /\\"region\\":\\"eu-central-1\\"/);
      assert.match(call, /\\"action\\":\\"putParameter\\"/);
      assert.match(call, /\\"Overwrite\\":true/);
    }
    assert.equal(copies.length, 3);
  });

  test('declares the configured scopes on one resource server', () => {
    template.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 1);
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'mcp',
      Scopes: [
        { ScopeName: 'mcp:identity.read', ScopeDescription: 'Read the identity' },
        { ScopeName: 'mcp:notes.write', ScopeDescription: 'Write notes' },
      ],
    });
  });

  test('creates the configured groups', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: 'operators' });
  });

  test('the interactive client uses the authorization code flow only, without a secret', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      GenerateSecret: false,
      CallbackURLs: ['http://localhost:33418/callback'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
  });

  test('no client allows the implicit grant', () => {
    const clients = Object.values(template.findResources('AWS::Cognito::UserPoolClient'));
    assert.equal(clients.length, 2);
    for (const client of clients) {
      assert.ok(!(client.Properties.AllowedOAuthFlows as string[]).includes('implicit'));
    }
  });

  test('a machine client gets the client credentials grant, a secret and only its scopes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ClientName: 'smoke-test',
      AllowedOAuthFlows: ['client_credentials'],
      GenerateSecret: true,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      AllowedOAuthScopes: [{ 'Fn::Join': ['', [Match.anyValue(), '/mcp:identity.read']] }],
    });
  });

  test('creates a managed login domain with a branding style for the interactive client', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'mcp-test-login', ManagedLoginVersion: 2 });
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { UseCognitoProvidedValues: true });
  });

  test('publishes the pool id and every accepted client id for the regional services', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/kit/test/user-pool-id', Type: 'String' });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/kit/test/client-ids',
      Value: { 'Fn::Join': [',', [Match.anyValue(), Match.anyValue()]] },
    });
  });

  test('fails when a machine client asks for an undeclared scope', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Identity', { env });
    // WHEN / THEN
    assert.throws(
      () => new Identity(stack, 'Identity', { ...props, machineClients: [{ name: 'ci', scopes: ['mcp:admin'] }] }),
      /machine client "ci" asks for an undeclared scope \(got "mcp:admin"\)/,
    );
  });

  test('fails without scopes', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'Identity', { env });
    // WHEN / THEN
    assert.throws(() => new Identity(stack, 'Identity', { ...props, scopes: [] }), /scopes must not be empty/);
  });
});
