import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import type { IamPermission } from '../../runtime/src/tools/definition.js';
import { SESSION_TABLE_ACTIONS } from '../../runtime/src/session/table-schema.js';
import type { EnvironmentConfig } from '../../lib/config.js';
import { loadBrokerConfig } from '../../runtime/src/authz/config.js';
import { deploymentNames } from '../../lib/naming.js';
import { ServiceStack } from '../../lib/stacks/service-stack.js';
import { exampleEnvironment, newApp } from './support.js';

const image = ContainerImage.fromRegistry('registry.example.com/enterprise-mcp:test');

interface Options {
  readonly environment?: EnvironmentConfig;
  readonly region?: string;
  readonly toolPermissions?: readonly IamPermission[];
  readonly context?: Record<string, unknown>;
}

function serviceStack(options: Options = {}): ServiceStack {
  const environment = options.environment ?? exampleEnvironment('staging');
  const region = options.region ?? environment.primaryRegion;
  return new ServiceStack(newApp({ context: options.context }), 'Service', {
    env: { account: environment.account, region },
    environment,
    names: deploymentNames('mcp-kit', environment),
    toolPermissions: options.toolPermissions ?? [],
    image,
  });
}

/** The app container definition of the only task definition in the template. */
function appContainer(template: Template): Record<string, unknown> {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  const containers = taskDefinition!.Properties.ContainerDefinitions as Array<Record<string, unknown>>;
  return containers.find((c) => c.Name === 'App')!;
}

function environmentOf(container: Record<string, unknown>): Record<string, string> {
  const pairs = container.Environment as Array<{ Name: string; Value: string }>;
  return Object.fromEntries(pairs.map((p) => [p.Name, p.Value]));
}

describe('ServiceStack', () => {
  // GIVEN the staging environment of the example configuration (Cognito profile), in its secondary region
  // WHEN the service stack is synthesized (once, shared by the tests of this block)
  const template = Template.fromStack(serviceStack({ region: 'eu-central-1' }));

  describe('network', () => {
    test('spans three availability zones with public and private subnets', () => {
      // THEN
      const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
      const zones = new Set(subnets.map((s) => s.Properties.AvailabilityZone as string));
      assert.deepEqual([...zones].sort(), ['eu-central-1a', 'eu-central-1b', 'eu-central-1c']);
      assert.equal(subnets.length, 6);
    });

    test('reaches DynamoDB through a gateway endpoint', () => {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
      });
    });

    test('logs all traffic to an encrypted log group', () => {
      template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    });

    test('fails when cdk.json has no availability zones for the account and region', () => {
      // GIVEN an environment in a region without committed AZ context
      const environment = exampleEnvironment('staging', (env) => {
        env.secondaryRegions = ['ap-southeast-2'];
      });
      // WHEN / THEN
      assert.throws(
        () => serviceStack({ environment, region: 'ap-southeast-2' }),
        /availability-zones:account=111111111111:region=ap-southeast-2/,
      );
    });
  });

  describe('task', () => {
    test('runs the app container with a read-only root filesystem as a non-root user', () => {
      const app = appContainer(template);
      assert.equal(app.ReadonlyRootFilesystem, true);
      assert.equal(app.User, '1000:1000');
      assert.equal(app.Essential, true);
    });

    test('runs the OpenTelemetry collector as a sidecar, image pinned by digest, receiving OTLP on the task loopback only', () => {
      const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
      const containers = task!.Properties.ContainerDefinitions as Array<Record<string, unknown>>;
      const collector = containers.find((container) => container.Name === 'OtelCollector')!;
      assert.ok(collector, 'the collector sidecar is there');
      assert.equal(containers.find((container) => container.Name === 'XRayDaemon'), undefined, 'the X-Ray daemon is gone');
      assert.equal(collector.Essential, false);
      assert.equal(collector.ReadonlyRootFilesystem, true);
      assert.match(String(collector.Image), /^public\.ecr\.aws\/aws-observability\/aws-otel-collector:v[\d.]+@sha256:[0-9a-f]{64}$/);
      const config = JSON.parse(environmentOf(collector).AOT_CONFIG_CONTENT!) as {
        receivers: { otlp: { protocols: Record<string, { endpoint: string }> } };
        exporters: Record<string, { region: string; indexed_attributes: string[] }>;
        service: { pipelines: Record<string, { exporters: string[] }> };
      };
      assert.deepEqual(Object.keys(config.receivers.otlp.protocols), ['http'], 'OTLP over HTTP only');
      assert.equal(config.receivers.otlp.protocols.http!.endpoint, '127.0.0.1:4318');
      assert.deepEqual(Object.keys(config.service.pipelines), ['traces'], 'traces only: metrics stay EMF, logs stay awslogs');
      assert.deepEqual(config.service.pipelines.traces!.exporters, ['awsxray']);
      assert.equal(config.exporters.awsxray!.region, 'eu-central-1', 'the region of the stack');
      assert.deepEqual(config.exporters.awsxray!.indexed_attributes, ['method', 'tool', 'outcome', 'era', 'principal', 'client_id', 'region']);
    });

    test('tells the runtime its public URL, host, session table, auth profile and telemetry endpoints', () => {
      const environment = environmentOf(appContainer(template));
      assert.equal(environment.MCP_PUBLIC_URL, 'https://mcp.staging.example.com/mcp');
      assert.equal(environment.MCP_ALLOWED_HOSTS, 'mcp.staging.example.com');
      assert.equal(environment.MCP_SESSION_TABLE, 'mcp-kit-staging-sessions');
      assert.equal(environment.MCP_AUTH_PROFILE, 'cognito');
      assert.equal(environment.MCP_COGNITO_DOMAIN, 'https://mcp-kit-staging-example.auth.eu-west-1.amazoncognito.com');
      assert.equal(environment.MCP_PORT, '8443');
      assert.equal(environment.OTEL_EXPORTER_OTLP_ENDPOINT, 'http://127.0.0.1:4318');
      assert.equal(environment.OTEL_EXPORTER_OTLP_PROTOCOL, 'http/protobuf');
      assert.equal(environment.AWS_XRAY_DAEMON_ADDRESS, undefined);
      assert.equal(environment.POWERTOOLS_METRICS_NAMESPACE, 'EnterpriseMcp');
      assert.ok(environment.MCP_TLS_CERT_FILE && environment.MCP_TLS_KEY_FILE);
    });

    test("reads the Cognito pool and client ids from its own region's parameters, so tasks start while the primary is down", () => {
      const secrets = (appContainer(template).Secrets as Array<{ Name: string; ValueFrom: unknown }>).filter((s) => s.Name !== 'MCP_REQUEST_STATE_KEY');
      assert.deepEqual(
        Object.fromEntries(secrets.map((s) => [s.Name, s.ValueFrom])),
        {
          MCP_COGNITO_USER_POOL_ID: 'arn:aws:ssm:eu-central-1:111111111111:parameter/mcp-kit/staging/identity/user-pool-id',
          MCP_COGNITO_CLIENT_IDS: 'arn:aws:ssm:eu-central-1:111111111111:parameter/mcp-kit/staging/identity/client-ids',
          MCP_BROKER_UPSTREAM_ISSUER: 'arn:aws:ssm:eu-central-1:111111111111:parameter/mcp-kit/staging/identity/issuer',
          MCP_BROKER_UPSTREAM_CLIENT_ID: 'arn:aws:ssm:eu-central-1:111111111111:parameter/mcp-kit/staging/identity/broker-client-id',
          // A partial ARN (no suffix): Secrets Manager resolves it to this region's replica.
          MCP_BROKER_UPSTREAM_CLIENT_SECRET: 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:mcp-kit/staging/identity/broker_client_secret',
        },
      );
      const grants = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      );
      const ssm = grants.filter((st) => [st.Action].flat().some((a) => a.startsWith('ssm:')));
      assert.ok(ssm.length > 0);
      assert.deepEqual(ssm.filter((st) => JSON.stringify(st.Resource).includes('eu-west-1')), []);
    });

    test('keeps the runtime keep-alive above the load balancer idle timeout', () => {
      const environment = environmentOf(appContainer(template));
      const balancers = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::LoadBalancer'));
      const attributes = balancers[0]!.Properties.LoadBalancerAttributes as Array<{ Key: string; Value: string }>;
      const idle = Number(attributes.find((a) => a.Key === 'idle_timeout.timeout_seconds')!.Value);
      assert.ok(idle > 60, `idle timeout ${idle} must exceed the longest tool deadline (60 s)`);
      assert.ok(Number(environment.MCP_KEEP_ALIVE_SECONDS) > idle);
    });

    test('keeps its log groups and key when deleted, but not after a failed first create', () => {
      const retained = { ...template.findResources('AWS::Logs::LogGroup'), ...template.findResources('AWS::KMS::Key') };
      assert.ok(Object.keys(retained).length >= 5);
      for (const [id, resource] of Object.entries(retained)) {
        assert.equal(resource.DeletionPolicy, 'RetainExceptOnCreate', id);
        assert.equal(resource.UpdateReplacePolicy, 'Retain', id);
      }
    });

    test('keeps the access-log bucket (generated name) even after a failed create, which could not delete it', () => {
      const [bucket] = Object.values(template.findResources('AWS::S3::Bucket'));
      assert.equal(bucket!.DeletionPolicy, 'Retain');
      assert.equal(bucket!.Properties.BucketName, undefined, 'a fixed name would collide on the retry');
    });

    test('writes logs to KMS-encrypted log groups with the configured retention', () => {
      const groups = Object.values(template.findResources('AWS::Logs::LogGroup'));
      assert.ok(groups.length >= 4);
      for (const group of groups) {
        assert.ok(group.Properties.KmsKeyId, 'log group without KMS key');
        assert.equal(group.Properties.RetentionInDays, 365);
      }
    });

    test('uses a customer managed key with rotation', () => {
      template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });
  });

  describe('service', () => {
    test('runs at least two tasks in private subnets without public addresses', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        DesiredCount: 2,
        LaunchType: 'FARGATE',
        NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }) },
        AvailabilityZoneRebalancing: 'ENABLED',
      });
    });

    test('rolls a failing deployment back through the circuit breaker and the alarms', () => {
      template.hasResourceProperties('AWS::ECS::Service', {
        DeploymentConfiguration: Match.objectLike({
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: 100,
          Alarms: { Enable: true, Rollback: true, AlarmNames: Match.anyValue() },
        }),
      });
    });

    test('enables Container Insights on the cluster', () => {
      template.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }],
      });
    });

    test('scales on CPU and on requests per task', () => {
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 2, MaxCapacity: 4 });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        }),
      });
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: Match.objectLike({ PredefinedMetricType: 'ALBRequestCountPerTarget' }),
        }),
      });
    });
  });

  describe('load balancer', () => {
    test('terminates TLS 1.2+ with the ACM certificate', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Protocol: 'HTTPS',
        Port: 443,
        SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
        Certificates: [{ CertificateArn: { Ref: Match.stringLikeRegexp('Certificate') } }],
      });
    });

    test('redirects HTTP to HTTPS', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      });
    });

    test('forwards over HTTPS to the tasks and checks readiness', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Protocol: 'HTTPS',
        Port: 8443,
        TargetType: 'ip',
        HealthCheckProtocol: 'HTTPS',
        HealthCheckPath: '/readyz',
      });
    });

    test('drops invalid headers and writes access logs', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Scheme: 'internet-facing',
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
          { Key: 'access_logs.s3.enabled', Value: 'true' },
        ]),
      });
    });

    test('has no deletion protection on a first deployment, so a failed create can roll back', () => {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'false' }]),
      });
    });

    test('has deletion protection once the configuration switches it on', () => {
      // GIVEN
      const environment = exampleEnvironment('staging', (env) => {
        env.deletionProtection = true;
      });
      // WHEN
      const protectedTemplate = Template.fromStack(serviceStack({ environment }));
      // THEN
      protectedTemplate.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'deletion_protection.enabled', Value: 'true' }]),
      });
    });

    test('stores access logs in an encrypted bucket that refuses plain HTTP', () => {
      template.hasResourceProperties('AWS::S3::Bucket', {
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    test('lets the tasks accept traffic from the load balancer only', () => {
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        FromPort: 8443,
        ToPort: 8443,
        SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LoadBalancerSecurityGroup'), 'GroupId'] },
      });
      const open = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).filter(
        (rule) => rule.Properties.CidrIp === '0.0.0.0/0' && rule.Properties.FromPort === 8443,
      );
      assert.deepEqual(open, []);
    });
  });

  describe('web firewall', () => {
    test('runs the managed rule groups and a per-IP rate limit from the configuration', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACL', {
        Scope: 'REGIONAL',
        Rules: Match.arrayWith([
          Match.objectLike({
            Name: 'RateLimitPerClientIp',
            Action: { Block: {} },
            Statement: { RateBasedStatement: { Limit: 30000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' } },
          }),
          Match.objectLike({ Name: 'AWSManagedRulesCommonRuleSet' }),
          Match.objectLike({ Name: 'AWSManagedRulesKnownBadInputsRuleSet' }),
        ]),
      });
    });

    test('only counts the core rule set body rules that match HTML, file paths and URLs in tool arguments', () => {
      const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
      const rules = acl!.Properties.Rules as Array<{
        Name: string;
        Statement: { ManagedRuleGroupStatement?: { RuleActionOverrides?: Array<{ Name: string; ActionToUse: unknown }> } };
      }>;
      const core = rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet')!;
      const counted = (core.Statement.ManagedRuleGroupStatement?.RuleActionOverrides ?? [])
        .filter((o) => JSON.stringify(o.ActionToUse) === '{"Count":{}}')
        .map((o) => o.Name);
      for (const rule of ['CrossSiteScripting_BODY', 'GenericLFI_BODY', 'GenericRFI_BODY', 'EC2MetaDataSSRF_BODY', 'SizeRestrictions_BODY']) {
        assert.ok(counted.includes(rule), `${rule} still blocks`);
      }
      // The other variants keep blocking; the query-string RFI rule blocks through its label, outside /oauth/authorize.
      assert.deepEqual(counted.filter((name) => !name.endsWith('_BODY')), ['GenericRFI_QUERYARGUMENTS']);
    });

    test('limits registration, token and authorize requests per IP on exactly their paths, with the configured limits', () => {
      const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
      const rules = acl!.Properties.Rules as Array<{ Name: string; Priority: number; Action?: unknown; Statement: Record<string, unknown> }>;
      for (const [name, path, limit] of [['Register', '/oauth/register', 100], ['Token', '/oauth/token', 3000], ['Authorize', '/oauth/authorize', 1000]] as const) {
        const rule = rules.find((r) => r.Name === `SignInRateLimit${name}`);
        assert.ok(rule, `no rate rule for ${path}`);
        assert.deepEqual(rule.Action, { Block: {} });
        assert.deepEqual(rule.Statement, {
          RateBasedStatement: {
            Limit: limit,
            EvaluationWindowSec: 300,
            AggregateKeyType: 'IP',
            ScopeDownStatement: {
              ByteMatchStatement: { FieldToMatch: { UriPath: {} }, PositionalConstraint: 'EXACTLY', SearchString: path, TextTransformations: [{ Priority: 0, Type: 'NONE' }] },
            },
          },
        });
        // Before the managed groups, so a flood is refused before the groups inspect it.
        assert.ok(rule.Priority < rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet')!.Priority);
      }
    });

    test('lets loopback redirect URIs through the authorization endpoint only: the RFI query rule blocks everywhere else', () => {
      const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
      const rules = acl!.Properties.Rules as Array<{ Name: string; Priority: number; Action?: unknown; Statement: Record<string, unknown> }>;
      const exception = rules.find((r) => r.Name === 'RemoteFileInclusionInQueryOutsideAuthorize')!;
      assert.deepEqual(exception.Action, { Block: {} });
      assert.deepEqual(exception.Statement, {
        AndStatement: {
          Statements: [
            { LabelMatchStatement: { Scope: 'LABEL', Key: 'awswaf:managed:aws:core-rule-set:GenericRFI_QueryArguments' } },
            {
              NotStatement: {
                Statement: {
                  ByteMatchStatement: {
                    FieldToMatch: { UriPath: {} },
                    PositionalConstraint: 'EXACTLY',
                    SearchString: '/oauth/authorize',
                    TextTransformations: [{ Priority: 0, Type: 'NONE' }],
                  },
                },
              },
            },
          ],
        },
      });
      // Labels exist only for rules evaluated after the group that adds them.
      assert.ok(exception.Priority > rules.find((r) => r.Name === 'AWSManagedRulesCommonRuleSet')!.Priority);
      const priorities = rules.map((r) => r.Priority);
      assert.equal(new Set(priorities).size, priorities.length, 'priorities are unique');
    });

    test('protects the load balancer', () => {
      template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
        ResourceArn: { Ref: Match.stringLikeRegexp('LoadBalancer') },
      });
    });

    test('logs requests with the authorization header redacted', () => {
      template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', {
        RedactedFields: Match.arrayWith([{ SingleHeader: { Name: 'authorization' } }]),
      });
    });
  });

  describe('sign-in', () => {
    test('turns the broker on with the upstream scopes, registration, metadata documents and lifetimes of the configuration', () => {
      const environment = environmentOf(appContainer(template));
      assert.equal(environment.MCP_BROKER, 'on');
      assert.equal(environment.MCP_BROKER_UPSTREAM_SCOPES, 'openid,email,profile');
      assert.equal(environment.MCP_BROKER_DCR, 'on');
      assert.equal(environment.MCP_BROKER_CIMD, 'on');
      assert.equal(environment.MCP_BROKER_ACCESS_TOKEN_SECONDS, '600');
      assert.equal(environment.MCP_BROKER_REFRESH_TOKEN_SECONDS, String(14 * 86_400));
      assert.equal(environment.MCP_BROKER_CIMD_ALLOW, undefined);
      assert.equal(environment.MCP_BROKER_CIMD_ALLOW_LOOPBACK, undefined);
      assert.equal(environment.MCP_BROKER_UPSTREAM_CLIENT_SECRET, undefined, 'the secret is never a plain variable');
    });

    test('are variables the runtime accepts: issuer and resource are the public URL', () => {
      // GIVEN the task's variables, with the values ECS secrets deliver at start
      const variables = environmentOf(appContainer(template));
      assert.ok(variables.MCP_BROKER_SIGNING_KEY_ID, 'the task names its region\'s signing key');
      const environment: Record<string, string> = {
        ...variables,
        MCP_BROKER_UPSTREAM_ISSUER: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123',
        MCP_BROKER_UPSTREAM_CLIENT_ID: 'broker-client',
        MCP_BROKER_UPSTREAM_CLIENT_SECRET: 'client-secret',
        // This region's replica of the signing key, as CloudFormation resolves its ARN.
        MCP_BROKER_SIGNING_KEY_ID: 'arn:aws:kms:eu-central-1:111111111111:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      };
      // WHEN the runtime reads them
      const broker = loadBrokerConfig(environment, new URL(environment.MCP_PUBLIC_URL!))!;
      // THEN
      assert.equal(broker.issuer, 'https://mcp.staging.example.com');
      assert.equal(broker.resource, 'https://mcp.staging.example.com/mcp');
      assert.deepEqual(broker.upstream.scopes, ['openid', 'email', 'profile']);
      assert.equal(broker.registration.enabled, true);
      assert.equal(broker.metadataDocuments.allowLoopback, false);
      assert.equal(broker.signingKey.kind, 'kms', 'signed in KMS, no key in the environment');
    });

    test('lets the execution role read exactly the broker secret of this region, and the task role no secret or Cognito API', () => {
      const policies = Object.values(template.findResources('AWS::IAM::Policy'));
      const statements = policies.flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      );
      // Exactly the broker secret and the requestState key (test/infra/request-state-key.test.ts), both of this region.
      const secretReads = statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('secretsmanager:')));
      assert.equal(secretReads.length, 1);
      assert.deepEqual(secretReads[0]!.Action, ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
      const resources = [secretReads[0]!.Resource].flat().map((resource) => (typeof resource === 'string' ? resource : JSON.stringify(resource)));
      const broker = 'arn:aws:secretsmanager:eu-central-1:111111111111:secret:mcp-kit/staging/identity/broker_client_secret-??????';
      assert.equal(resources.length, 2);
      assert.ok(resources.includes(broker));
      assert.match(resources.find((resource) => resource !== broker)!, /secretsmanager:eu-central-1:111111111111:secret:mcp-kit\/staging\/request-state-key-\?{6}/);
      assert.deepEqual(statements.filter((st) => [st.Action].flat().some((a) => a.startsWith('cognito-idp:'))), []);
      const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
      const executionRole = (taskDefinition!.Properties.ExecutionRoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      const owner = policies.find((policy) => JSON.stringify(policy.Properties.PolicyDocument).includes('secretsmanager:'))!;
      assert.deepEqual(owner.Properties.Roles, [{ Ref: executionRole }], 'granted to the execution role only');
    });
  });

  describe('permissions', () => {
    test('gives the task role the session store actions on the local replica and nothing else of DynamoDB', () => {
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>,
      );
      const dynamo = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('dynamodb:')));
      assert.deepEqual(dynamo, [
        {
          Action: [...SESSION_TABLE_ACTIONS].sort(),
          Effect: 'Allow',
          Resource: 'arn:aws:dynamodb:eu-central-1:111111111111:table/mcp-kit-staging-sessions',
        },
      ]);
    });

    test('grants no wildcard action anywhere', () => {
      const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
        (policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>).flatMap((s) => [s.Action].flat()),
      );
      assert.ok(actions.length > 0);
      assert.deepEqual(actions.filter((a) => a.includes('*')), []);
    });

    test('grants the collector the X-Ray write actions only, without the sampling reads', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'CollectorWritesTraces', Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], Resource: '*' }),
          ]),
        },
      });
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as Array<{ Action: string | string[] }>,
      );
      const xray = statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('xray:'));
      assert.deepEqual(xray.sort(), ['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    });
  });

  describe('monitoring', () => {
    /** The dashboard body with its tokens flattened into one string. */
    function dashboardBody(): string {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
      return JSON.stringify(dashboard!.Properties.DashboardBody);
    }

    function alarmWith(metricName: string): Record<string, unknown> | undefined {
      return Object.values(template.findResources('AWS::CloudWatch::Alarm')).find((alarm) =>
        JSON.stringify(alarm.Properties).includes(metricName),
      )?.Properties;
    }

    test('sends every alarm to an encrypted topic, on alarm and on recovery', () => {
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      assert.ok(alarms.length >= 10);
      for (const alarm of alarms) {
        assert.equal((alarm.Properties.AlarmActions as unknown[]).length, 1);
        assert.equal((alarm.Properties.OKActions as unknown[]).length, 1);
      }
    });

    test('lets CloudWatch publish this account\'s alarms to the TLS-only topic', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: {
                ArnLike: { 'aws:SourceArn': 'arn:aws:cloudwatch:eu-central-1:111111111111:alarm:*' },
                StringEquals: { 'aws:SourceAccount': '111111111111' },
              },
            }),
          ]),
        },
      });
    });

    test('subscribes the configured e-mail addresses', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'mcp-oncall@example.com' });
    });

    test('shows requests, latency, errors, saturation, tasks, table health and tools on the dashboard', () => {
      const body = dashboardBody();
      for (const title of [
        'Requests',
        'Latency (ms)',
        '5xx and error rate',
        'CPU and memory (%)',
        'Running tasks and healthy targets',
        'Session table latency p99 (ms)',
        'Session table throttles',
        'Replication latency (ms)',
        'Failed calls per tool',
        'Tool latency p99 (ms)',
      ]) {
        assert.ok(body.includes(JSON.stringify(title).slice(1, -1)), `dashboard lacks "${title}"`);
      }
    });

    test('reads the runtime metrics by the names the runtime emits, in the configured namespace', () => {
      const body = dashboardBody();
      for (const name of ['Requests', 'Latency', 'Errors', 'ToolCalls', 'ToolLatency']) {
        assert.ok(body.includes(name), `dashboard does not read ${name}`);
      }
      assert.ok(body.includes('EnterpriseMcp'));
    });

    test('reads runtime metrics with the service and region dimensions the runtime adds', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: {
                MetricName: 'Latency',
                Namespace: 'EnterpriseMcp',
                Dimensions: [
                  { Name: 'region', Value: 'eu-central-1' },
                  { Name: 'service', Value: 'enterprise-mcp' },
                ],
              },
              Stat: 'p99',
            }),
          }),
        ],
      });
    });

    test('alarms on the 5xx rate, the server-side failure rate, p99 latency, CPU, memory and running tasks', () => {
      assert.ok(alarmWith('HTTPCode_Target_5XX_Count'), 'no 5xx rate alarm');
      assert.ok(alarmWith('"Errors"'), 'no server-side failure rate alarm');
      assert.ok(alarmWith('"Latency"'), 'no latency alarm');
      assert.ok(alarmWith('CPUUtilization'), 'no CPU alarm');
      assert.ok(alarmWith('MemoryUtilization'), 'no memory alarm');
      assert.ok(alarmWith('RunningTaskCount'), 'no running tasks alarm');
    });

    test('alarms on session table latency, throttles and replication to the other region', () => {
      assert.ok(alarmWith('SuccessfulRequestLatency'), 'no table latency alarm');
      assert.ok(alarmWith('WriteThrottleEvents'), 'no throttle alarm');
      const replication = alarmWith('ReplicationLatency');
      assert.ok(replication, 'no replication latency alarm');
      assert.ok(JSON.stringify(replication).includes('eu-west-1'));
    });

    test('alarms per tool on failed calls and latency with one contributor per tool', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [
          Match.objectLike({
            Expression: Match.stringLikeRegexp(
              `SELECT SUM\\(ToolCalls\\) FROM SCHEMA\\("EnterpriseMcp", outcome, region, service, tool\\) ` +
                `WHERE service = 'enterprise-mcp' AND region = 'eu-central-1' AND outcome = 'error' GROUP BY tool`,
            ),
          }),
        ],
        Threshold: 10,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Metrics: [Match.objectLike({ Expression: Match.stringLikeRegexp('SELECT AVG\\(ToolLatency\\).*GROUP BY tool') })],
        Threshold: 10000,
      });
    });
  });

  describe('global entry', () => {
    test('adds a latency record for this region that follows target health and a health check', () => {
      template.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: 'mcp.staging.example.com.',
        Type: 'A',
        Region: 'eu-central-1',
        SetIdentifier: 'mcp-eu-central-1',
        HealthCheckId: { Ref: Match.stringLikeRegexp('GlobalEntryHealthCheck') },
        AliasTarget: Match.objectLike({ EvaluateTargetHealth: true }),
        HostedZoneId: 'Z0000000000000STAGING',
      });
    });

    /** The health checks by logical id. */
    const healthChecks = () => template.findResources('AWS::Route53::HealthCheck');
    const idOf = (type: string) =>
      Object.entries(healthChecks()).find(([, check]) => (check.Properties.HealthCheckConfig as { Type: string }).Type === type)?.[0];

    test("takes the region out of DNS when either its health alarm or an HTTPS check of its endpoint fails", () => {
      // THEN the record follows a calculated check that needs both children healthy
      const calculated = idOf('CALCULATED');
      assert.ok(calculated, 'no calculated health check');
      template.hasResourceProperties('AWS::Route53::RecordSet', { SetIdentifier: 'mcp-eu-central-1', HealthCheckId: { Ref: calculated } });
      const config = healthChecks()[calculated]!.Properties.HealthCheckConfig as { ChildHealthChecks: unknown[]; HealthThreshold: number };
      assert.deepEqual(
        [...config.ChildHealthChecks].map((c) => JSON.stringify(c)).sort(),
        [{ Ref: idOf('CLOUDWATCH_METRIC') }, { Ref: idOf('HTTPS') }].map((c) => JSON.stringify(c)).sort(),
      );
      assert.equal(config.HealthThreshold, 2);
    });

    test('follows the region health alarm in one child', () => {
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({
          Type: 'CLOUDWATCH_METRIC',
          AlarmIdentifier: { Name: { Ref: Match.stringLikeRegexp('RegionHealthAlarm') }, Region: 'eu-central-1' },
        }),
      });
    });

    test("requests the health path from the region's load balancer over HTTPS in the other, so a dark region drops out", () => {
      template.hasResourceProperties('AWS::Route53::HealthCheck', {
        HealthCheckConfig: Match.objectLike({
          Type: 'HTTPS',
          FullyQualifiedDomainName: { 'Fn::GetAtt': [Match.stringLikeRegexp('LoadBalancer'), 'DNSName'] },
          Port: 443,
          ResourcePath: '/healthz',
        }),
      });
    });

    test('gives Route 53 a single-metric alarm it can evaluate', () => {
      // Route 53's CloudWatchAlarmConfiguration needs MetricName, Namespace and a simple statistic at the
      // top level; the metric-query form (Metrics), percentiles and "M out of N" are not supported.
      const [alarm] = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) =>
        String(a.Properties.AlarmName).endsWith('-RegionHealth'),
      );
      assert.ok(alarm, 'no region health alarm');
      const p = alarm.Properties;
      assert.equal(p.MetricName, 'HealthyHostCount');
      assert.equal(p.Namespace, 'AWS/ApplicationELB');
      assert.ok(['Average', 'Minimum', 'Maximum', 'Sum', 'SampleCount'].includes(p.Statistic as string), String(p.Statistic));
      assert.equal(p.Metrics, undefined);
      assert.equal(p.ExtendedStatistic, undefined);
      assert.equal(p.DatapointsToAlarm, undefined);
      assert.equal(p.Period, 60);
    });

    test('validates a certificate for the domain through DNS in the hosted zone', () => {
      template.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'mcp.staging.example.com',
        ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: 'mcp.staging.example.com', HostedZoneId: 'Z0000000000000STAGING' }],
      });
    });
  });
});

describe('ServiceStack with the oidc profile', () => {
  test('passes issuer and audience and needs no Cognito parameters', () => {
    // GIVEN an external provider and no sign-in broker
    const environment = exampleEnvironment('staging', (env) => {
      env.identity = { kind: 'oidc', issuer: 'https://login.example.com/oauth2/default' };
      env.signIn = { enabled: false };
    });
    // WHEN
    const template = Template.fromStack(serviceStack({ environment }));
    // THEN
    const container = appContainer(template);
    const variables = environmentOf(container);
    assert.equal(variables.MCP_AUTH_PROFILE, 'oidc');
    assert.equal(variables.MCP_OIDC_ISSUER, 'https://login.example.com/oauth2/default');
    assert.equal(variables.MCP_OIDC_AUDIENCE, 'https://mcp.staging.example.com/mcp');
    // The one secret is the requestState key (test/infra/request-state-key.test.ts), no Cognito parameter.
    assert.deepEqual((container.Secrets as Array<{ Name: string }>).map((secret) => secret.Name), ['MCP_REQUEST_STATE_KEY']);
  });
});

describe('ServiceStack sign-in with an external provider', () => {
  for (const [label, clientSecret, expected] of [
    ['a secret name', 'mcp/broker', /:secretsmanager:eu-central-1:111111111111:secret:mcp\/broker-\?{6}/],
    ['a full ARN, moved to this region', 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:mcp/broker-AbC123', /arn:aws:secretsmanager:eu-central-1:111111111111:secret:mcp\/broker-AbC123/],
  ] as const) {
    test(`passes the issuer and client id, and reads the client secret of ${label} from this region's replica`, () => {
      // GIVEN
      const environment = exampleEnvironment('staging', (env) => {
        env.identity = { kind: 'oidc', issuer: 'https://login.example.com/oauth2/default' };
        env.signIn = { enabled: true, allowClients: ['https://vscode.dev/oauth/client-metadata.json', 'claude.ai'], upstream: { clientId: '0oa1b2c3', clientSecret } };
      });
      // WHEN
      const template = Template.fromStack(serviceStack({ environment, region: 'eu-central-1' }));
      // THEN
      const container = appContainer(template);
      const variables = environmentOf(container);
      assert.equal(variables.MCP_BROKER, 'on');
      assert.equal(variables.MCP_BROKER_UPSTREAM_ISSUER, 'https://login.example.com/oauth2/default');
      assert.equal(variables.MCP_BROKER_UPSTREAM_CLIENT_ID, '0oa1b2c3');
      assert.equal(variables.MCP_BROKER_CIMD_ALLOW, 'https://vscode.dev/oauth/client-metadata.json,claude.ai');
      const secrets = container.Secrets as Array<{ Name: string; ValueFrom: unknown }>;
      assert.deepEqual(secrets.map((s) => s.Name).sort(), ['MCP_BROKER_UPSTREAM_CLIENT_SECRET', 'MCP_REQUEST_STATE_KEY']);
      const grants = JSON.stringify(
        Object.values(template.findResources('AWS::IAM::Policy')).flatMap((policy) => policy.Properties.PolicyDocument.Statement as unknown[]),
      );
      assert.match(grants, expected);
    });
  }
});

describe('ServiceStack without sign-in', () => {
  test('runs no broker and adds no sign-in rule to the firewall', () => {
    // GIVEN the production environment, whose sign-in is off
    const template = Template.fromStack(serviceStack({ environment: exampleEnvironment('production') }));
    // THEN
    assert.equal(environmentOf(appContainer(template)).MCP_BROKER, undefined);
    const [acl] = Object.values(template.findResources('AWS::WAFv2::WebACL'));
    const names = (acl!.Properties.Rules as Array<{ Name: string }>).map((r) => r.Name);
    assert.deepEqual(names, ['RateLimitPerClientIp', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
    assert.doesNotMatch(JSON.stringify(acl), /GenericRFI_QUERYARGUMENTS/);
  });
});

describe('ServiceStack tool permissions', () => {
  test('grants what the tools declare, with the stack partition, region and account', () => {
    // GIVEN
    const toolPermissions: IamPermission[] = [
      { actions: ['s3:GetObject'], resources: ['arn:${Partition}:s3:::reports-${Account}-${Region}/*'] },
    ];
    // WHEN
    const template = Template.fromStack(serviceStack({ toolPermissions }));
    // THEN
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:GetObject', Effect: 'Allow', Resource: 'arn:aws:s3:::reports-111111111111-eu-west-1/*' },
        ]),
      },
    });
  });

  test('refuses a wildcard action', () => {
    assert.throws(
      () => serviceStack({ toolPermissions: [{ actions: ['s3:*'], resources: ['arn:aws:s3:::bucket'] }] }),
      /without wildcards \(got "s3:\*"\)/,
    );
  });

  test('refuses a resource of "*"', () => {
    assert.throws(
      () => serviceStack({ toolPermissions: [{ actions: ['s3:ListAllMyBuckets'], resources: ['*'] }] }),
      /"\*" is not accepted/,
    );
  });

  test('refuses an unknown placeholder', () => {
    assert.throws(
      () => serviceStack({ toolPermissions: [{ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::${Bucket}/*'] }] }),
      /unknown placeholder \(got "\$\{Bucket\}"\)/,
    );
  });
});
