import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type CfnElement, Stack } from 'aws-cdk-lib';
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

describe('Identity with a sign-in broker client', () => {
  // GIVEN the pool with a broker client, parameters copied to a second region
  // WHEN it is synthesized
  const stack = new Stack(newApp(), 'Identity', { env });
  const identity = new Identity(stack, 'Identity', {
    ...props,
    brokerClient: { callbackUrl: 'https://mcp.example.com/oauth/callback', secretName: 'kit/test/identity/broker_client_secret' },
    parameterNames: { ...props.parameterNames!, issuer: '/kit/test/issuer', brokerClientId: '/kit/test/broker-client-id' },
    parameterRegions: ['eu-central-1'],
  });
  const template = Template.fromStack(stack);
  const brokerClientRef = { Ref: stack.getLogicalId(identity.brokerClient!.client.node.defaultChild as CfnElement) };

  test('is a confidential client of the code grant with the broker callback, openid/email/profile and the shortest token lifetimes', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: true,
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      CallbackURLs: ['https://mcp.example.com/oauth/callback'],
      SupportedIdentityProviders: ['COGNITO'],
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      IdTokenValidity: 5,
      AccessTokenValidity: 5,
      RefreshTokenValidity: 60,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
    });
  });

  test('gets a managed login branding style, so the login page shows for it', () => {
    template.hasResourceProperties('AWS::Cognito::ManagedLoginBranding', { ClientId: brokerClientRef });
  });

  test("stores the client secret from CloudFormation's ClientSecret attribute, replicated to the other region, without a function", () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'kit/test/identity/broker_client_secret',
      SecretString: { 'Fn::GetAtt': [brokerClientRef.Ref, 'ClientSecret'] },
      ReplicaRegions: [{ Region: 'eu-central-1' }],
    });
    assert.deepEqual(template.findResources('Custom::DescribeCognitoUserPoolClient'), {});
  });

  test('is not one of the client ids the runtime accepts tokens of', () => {
    const parameter = Object.values(template.findResources('AWS::SSM::Parameter')).find((p) => p.Properties.Name === '/kit/test/client-ids')!;
    assert.ok(!JSON.stringify(parameter.Properties.Value).includes(brokerClientRef.Ref));
  });

  test("publishes the pool's issuer and the broker's client id here and in the other region", () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/kit/test/broker-client-id', Value: brokerClientRef });
    template.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/kit/test/issuer',
      Value: { 'Fn::Join': ['', Match.arrayWith(['https://cognito-idp.eu-west-1.amazonaws.com/'])] },
    });
    const copies = JSON.stringify(template.findResources('Custom::AWS'));
    assert.match(copies, /\/kit\/test\/issuer/);
    assert.match(copies, /\/kit\/test\/broker-client-id/);
  });

  test('fails for a callback that is not a normalised https URL', () => {
    for (const callbackUrl of ['http://mcp.example.com/oauth/callback', 'https://MCP.example.com/oauth/callback']) {
      const other = new Stack(newApp(), 'Identity', { env });
      assert.throws(
        () => new Identity(other, 'Identity', { ...props, brokerClient: { callbackUrl, secretName: 'x' } }),
        /callbackUrl must be a normalised https URL/,
      );
    }
  });
});
