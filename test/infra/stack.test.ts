import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { busNeedsOf } from '#project/bus-needs.js';
import { loadProject, readProject } from '#project/load-project.js';
import { MessageRequested, OrderCompleted, ProfileUpdated, TimerFired } from '#shared/events/index.js';
import { busName, queueDeliveryOf, recurringSchedules, scheduleGroupName, subscriptionsFor } from '#shared/topology.js';
import { NudgeStack } from '../../infra/nudge-stack.js';
import { copyOfProject, projectDir, writeRule } from '../support/fixtures.js';

// One synthesis for the file: bundling four functions takes a few seconds.
const app = new App();
const stack = new NudgeStack(app, 'Nudge', { senderAddress: 'Shop <hello@shop.example>', sesIdentity: 'shop.example' });
const template = Template.fromStack(stack);
const resources = (type: string) => template.findResources(type);
const functionIdFor = (service: string) => {
  const id = Object.entries(resources('AWS::Lambda::Function')).find(
    ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
  )?.[0];
  if (!id) throw new Error(`no function for ${service}`);
  return id;
};

describe('AWS stack', () => {
  it('has the six services, SES feedback and the profiles admin function as arm64 Node.js 24 functions with their configuration', () => {
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { Architectures: ['arm64'], Runtime: 'nodejs24.x' }, 8);
    expect(functionIdFor('profiles-admin')).toBeDefined();
    template.hasOutput('ProfilesAdminFunction', {});
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'profiles', PROJECT_DIR: '.' }) },
    });
    for (const service of ['intake', 'profiles', 'rules', 'dispatch', 'measurement', 'enrichment']) expect(functionIdFor(service)).toBeDefined();
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'enrichment', BIGCOMMERCE_API_URL: 'https://api.bigcommerce.com' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'measurement', PROJECT_DIR: '.' }) },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'dispatch', SENDER_ADDRESS: 'Shop <hello@shop.example>', PROJECT_DIR: '.' }),
      },
    });
  });

  it('builds one bus rule per subscription, with the pattern taken from the event contracts and the rules pushed down', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: busName });
    template.resourceCountIs('AWS::Events::Rule', subscriptionsFor(busNeedsOf(loadProject(projectDir).rules)).length);
    const patterns = Object.values(resources('AWS::Events::Rule')).map((rule) => rule.Properties.EventPattern);
    expect(patterns).toEqual(
      expect.arrayContaining([
        {
          source: ['nudge.intake'],
          'detail-type': expect.arrayContaining([OrderCompleted.detailType, { prefix: 'custom.' }]),
          // Thin events wait for enrichment instead of reaching profiles.
          detail: { needsEnrichment: { resource: [{ exists: false }] } },
        },
        {
          source: [ProfileUpdated.source],
          'detail-type': [ProfileUpdated.detailType],
          // The thank-you rule's filter, the sequence rules' steps and the birthday rule's dates.
          $or: expect.arrayContaining([
            { detail: { trigger: { 'detail-type': ['order.completed'] } } },
            { detail: { trigger: { 'detail-type': ['checkout.started'] } } },
            { detail: { changed: ['birthday', 'timeZone'] } },
            { detail: { trigger: { 'detail-type': ['location.reported'] } } },
          ]),
        },
        { source: [TimerFired.source], 'detail-type': [TimerFired.detailType] },
        { source: [MessageRequested.source], 'detail-type': [MessageRequested.detailType] },
      ]),
    );
  });

  it('feeds dispatch from an SQS queue: batches, partial batch failures, bounded concurrency, a dead-letter queue after a few attempts', () => {
    const queues = Object.entries(resources('AWS::SQS::Queue'));
    const [queueId, queue] = queues.find(([id, candidate]) => id.startsWith('DispatchQueue') && candidate.Properties.RedrivePolicy !== undefined) as [
      string,
      { Properties: Record<string, unknown> },
    ];
    expect(queue.Properties).toMatchObject({
      VisibilityTimeout: 180,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: expect.anything(), maxReceiveCount: queueDeliveryOf('dispatch').maxReceiveCount },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionIdFor('dispatch') },
      BatchSize: queueDeliveryOf('dispatch').batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: queueDeliveryOf('dispatch').maxConcurrency },
    });
    const toDispatch = Object.values(resources('AWS::Events::Rule')).find((rule) => JSON.stringify(rule.Properties.EventPattern).includes('message.requested'));
    expect(toDispatch?.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] }, DeadLetterConfig: { Arn: expect.anything() } }),
    ]);
  });

  it('feeds campaign chunks to the rules function from a queue of their own: one chunk a worker, ten workers at once', () => {
    const [queueId] = Object.entries(resources('AWS::SQS::Queue')).find(([id]) => id.startsWith('RulesQueue')) as [string, unknown];
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionName: { Ref: functionIdFor('rules') },
      BatchSize: queueDeliveryOf('rules').batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: queueDeliveryOf('rules').maxConcurrency },
    });
    expect(queueDeliveryOf('rules')).toMatchObject({ batchSize: 1, maxConcurrency: 10 });
    const toRules = Object.values(resources('AWS::Events::Rule')).find((rule) => JSON.stringify(rule.Properties.EventPattern).includes('campaign.segment'));
    expect(toRules?.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } })]);
  });

  it('sends SES events of the configuration set to EventBridge, and bounces, complaints and the rest to the feedback function', () => {
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({ Enabled: true, EventBridgeDestination: { EventBusArn: Match.anyValue() } }),
    });
    const destination = Object.values(resources('AWS::SES::ConfigurationSetEventDestination'))[0]?.Properties.EventDestination as {
      MatchingEventTypes: string[];
    };
    expect(new Set(destination.MatchingEventTypes)).toEqual(new Set(['bounce', 'complaint', 'delivery', 'open', 'click']));
    const fromSes = Object.values(resources('AWS::Events::Rule')).find((rule) => JSON.stringify(rule.Properties.EventPattern).includes('aws.ses'));
    expect(fromSes?.Properties.EventBusName).toBe('default');
    expect(fromSes?.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [functionIdFor('dispatch-ses-feedback'), 'Arn'] }, DeadLetterConfig: { Arn: expect.anything() } }),
    ]);
  });

  it('runs timers on EventBridge Scheduler: a group, a role scoped to the bus and the dead letters, and one schedule per recurring rule in its time zone', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: scheduleGroupName });
    const recurring = recurringSchedules(busNeedsOf(loadProject(projectDir).rules), Date.now());
    expect(recurring.map((schedule) => schedule.ruleId)).toEqual(['weekly-at-risk']);
    template.resourceCountIs('AWS::Scheduler::Schedule', recurring.length);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'rule-weekly-at-risk',
      GroupName: scheduleGroupName,
      ScheduleExpression: 'cron(0 10 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Arn: Match.anyValue(),
        RoleArn: Match.anyValue(),
        Input: JSON.stringify({ kind: 'recurring', ruleId: 'weekly-at-risk', dueAt: '<aws.scheduler.scheduled-time>', contractVersion: 1 }),
        EventBridgeParameters: { Source: TimerFired.source, DetailType: TimerFired.detailType },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 86400 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    // The role is for Scheduler only, from this account's Nudge schedules, and may only put on the bus and dead-letter.
    const [roleId, role] = Object.entries(resources('AWS::IAM::Role')).find(([, candidate]) =>
      JSON.stringify(candidate.Properties.AssumeRolePolicyDocument).includes('scheduler.amazonaws.com'),
    ) as [string, { Properties: Record<string, unknown> }];
    expect(JSON.stringify(role.Properties.AssumeRolePolicyDocument)).toContain('aws:SourceAccount');
    const policy = Object.values(resources('AWS::IAM::Policy')).find((candidate) => JSON.stringify(candidate.Properties.Roles).includes(roleId));
    if (policy === undefined) throw new Error('The Scheduler role has no policy');
    const actions = (policy.Properties.PolicyDocument as { Statement: { Action: string | string[] }[] }).Statement.flatMap((statement) => statement.Action);
    expect(new Set(actions)).toEqual(new Set(['events:PutEvents', 'sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl']));
    // The rules service sets timers in Nudge's group only, and passes only that role.
    const rulesPolicy = JSON.stringify(Object.values(resources('AWS::IAM::Policy')).map((candidate) => candidate.Properties.PolicyDocument));
    expect(rulesPolicy).toContain('scheduler:CreateSchedule');
    expect(rulesPolicy).toContain(`:schedule/${scheduleGroupName}/*`);
    expect(rulesPolicy).toContain('scheduler.amazonaws.com');
    const environment = resources('AWS::Lambda::Function')[functionIdFor('rules')]?.Properties.Environment as { Variables: Record<string, unknown> };
    expect(Object.keys(environment.Variables)).toEqual(expect.arrayContaining(['EVENT_BUS_ARN', 'SCHEDULE_GROUP', 'SCHEDULER_ROLE_ARN', 'TIMER_DLQ_ARN']));
  });

  it('gives every asynchronous path a dead-letter queue: the rule targets and the functions', () => {
    for (const rule of Object.values(resources('AWS::Events::Rule'))) {
      expect(rule.Properties.Targets).toEqual([expect.objectContaining({ DeadLetterConfig: { Arn: expect.anything() }, RetryPolicy: expect.anything() })]);
    }
    for (const service of ['profiles', 'rules', 'measurement']) {
      expect(resources('AWS::Lambda::Function')[functionIdFor(service)]?.Properties.DeadLetterConfig).toEqual({ TargetArn: expect.anything() });
    }
    // Dispatch is not invoked asynchronously: its queue has the dead-letter queue (below).
    expect(resources('AWS::Lambda::Function')[functionIdFor('dispatch')]?.Properties.DeadLetterConfig).toBeUndefined();
    // Profiles, rules, dispatch, feedback, measurement and enrichment deliveries, and timers Scheduler could not deliver.
    template.resourcePropertiesCountIs('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 }, 7);
  });

  it('lets every consumer put what no retry can mend in its own dead-letter queue at once', () => {
    const policies = Object.values(resources('AWS::IAM::Policy'));
    for (const [service, queue] of [
      ['profiles', 'ProfilesDeadLetters'],
      ['rules', 'RulesDeadLetters'],
      ['dispatch', 'DispatchDeadLetters'],
      ['feedback', 'FeedbackDeadLetters'],
      ['measurement', 'MeasurementDeadLetters'],
      ['enrichment', 'EnrichmentDeadLetters'],
    ] as const) {
      // SES feedback is bundled with dispatch (its service name), and told apart by what it does.
      const fn =
        service === 'feedback'
          ? Object.values(resources('AWS::Lambda::Function')).find((candidate) => String(candidate.Properties.Description).startsWith('Turns SES events'))
          : resources('AWS::Lambda::Function')[functionIdFor(service)];
      expect(fn?.Properties.Environment.Variables.DEAD_LETTER_QUEUE_URL).toEqual({ Ref: expect.stringMatching(new RegExp(`^${queue}`)) });
      const roleRef = fn?.Properties.Role['Fn::GetAtt'][0];
      const sends = policies
        .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleRef))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
        .filter((statement) => [statement.Action].flat().includes('sqs:SendMessage'))
        .map((statement) => statement.Resource['Fn::GetAtt']?.[0]);
      expect(sends).toContainEqual(expect.stringMatching(new RegExp(`^${queue}`)));
    }
  });

  it('keeps state in one on-demand table with point-in-time recovery, TTL and encryption', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
    });
  });

  it('scopes grants: profiles, rules and dispatch use the table, intake not at all, every service puts only on the Nudge bus, SES only for the identity', () => {
    const policies = Object.values(resources('AWS::IAM::Policy'));
    const statementsOf = (service: string) => {
      const roleId = resources('AWS::Lambda::Function')[functionIdFor(service)]?.Properties.Role['Fn::GetAtt'][0];
      return policies
        .filter((policy) => policy.Properties.Roles.some((role: { Ref: string }) => role.Ref === roleId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    };
    const tableId = Object.keys(resources('AWS::DynamoDB::Table'))[0];
    const busId = Object.keys(resources('AWS::Events::EventBus'))[0];
    for (const service of ['intake', 'profiles', 'rules', 'dispatch']) {
      const statements = statementsOf(service);
      const touchesTable = statements.some((statement) => JSON.stringify(statement.Resource).includes(tableId as string));
      // Intake keeps nothing, so it may not touch the table; the others use it (dispatch its send ledger, sent log and the person's consent).
      expect([service, touchesTable]).toEqual([service, service !== 'intake']);
      const putEvents = statements.filter((statement) => [statement.Action].flat().includes('events:PutEvents'));
      expect(putEvents).toHaveLength(1);
      expect(JSON.stringify(putEvents[0]?.Resource)).toContain(busId);
      // Nothing is on "*" (tracing is off by default; its two writes, which have no resource-level permissions, come with `-c tracing=true`).
      const onEverything = statements.filter((statement) => statement.Resource === '*').flatMap((statement) => [statement.Action].flat());
      expect(onEverything).toEqual([]);
    }
    const send = statementsOf('dispatch').find((statement) => statement.Action === 'ses:SendEmail');
    expect(JSON.stringify(send?.Resource)).toContain('identity/shop.example');
    // config/shops.json's Italian shop sends as itself: its domain is an identity dispatch may send as, and no other is.
    expect(JSON.stringify(send?.Resource)).toContain('identity/negozio.example');
    expect(JSON.stringify(send?.Resource).match(/identity\//g)).toHaveLength(2);
  });

  it('exposes the webhook endpoint on an HTTP API with throttling and access logs, and outputs its URL', () => {
    for (const routeKey of ['POST /webhooks/{platform}', 'POST /v1/{call}', 'POST /events/app'])
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      DefaultRouteSettings: { ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
    });
    template.hasOutput('WebhookUrl', {});
  });

  it('outputs where each service keeps its dead letters, under the names nudge dead-letters --aws reads', () => {
    for (const service of ['Profiles', 'Rules', 'Dispatch', 'Feedback']) {
      template.hasOutput(`${service}DeadLetterQueueUrl`, { Value: { Ref: Match.stringLikeRegexp(`${service}DeadLetters`) } });
      template.hasOutput(`${service}FunctionName`, {});
    }
    // Dispatch is fed by a queue: its dead letters move back there with SQS's own redrive.
    template.hasOutput('DispatchQueueArn', {});
    template.hasOutput('DispatchDeadLetterQueueArn', {});
    template.hasOutput('RulesQueueArn', {});
    expect(Object.keys(template.findOutputs('*')).filter((name) => name.endsWith('QueueArn'))).toEqual([
      'RulesQueueArn',
      'RulesDeadLetterQueueArn',
      'DispatchQueueArn',
      'DispatchDeadLetterQueueArn',
    ]);
  });

  it('archives every event for replay and has an SES configuration set', () => {
    template.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 365 });
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
  });

  it('passes the cdk-nag AwsSolutions checks, every acknowledgement with a reason', () => {
    // The CLI runs policy plugins after synthesis; here the pack is run the same way, on the template.
    const assembly = app.synth();
    const templatePath = join(assembly.directory, stack.templateFile);
    const report = new AwsSolutionsChecks(app).validate({
      templatePaths: [templatePath],
      stackTemplates: [{ stackConstructPath: stack.node.path, templatePath, accountId: undefined, region: undefined }],
      appConstruct: app,
    });
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
    expect(report.success).toBe(true);
    const acknowledged = assembly
      .getStackArtifact(stack.artifactId)
      .findMetadataByType('aws:cdk:acknowledged-rules')
      .flatMap((entry) => Object.values(entry.data as unknown as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const reason of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });
});

/** What the project loader refuses with the deploy's checks (infra/app.ts stops the synth on any). */
const projectProblems = (root: string) => {
  const project = readProject(root);
  return project.ok ? [] : project.error;
};

describe('what cdk synth refuses to deploy', () => {
  it('accepts the shipped rules and templates', () => {
    expect(projectProblems(projectDir)).toEqual([]);
  });

  it('names a rule whose template does not exist, and a broken rule file', () => {
    const copy = copyOfProject();
    writeRule(copy, {
      id: 'welcome',
      name: 'W',
      trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
      channel: 'email',
      template: 'welcome',
    });
    expect(projectProblems(copy)).toEqual([{ file: 'welcome.json', path: 'template', message: expect.stringContaining('templates/welcome.liquid') }]);
    writeFileSync(join(copy, 'rules', 'broken.json'), '{');
    expect(projectProblems(copy)).toEqual([{ file: 'broken.json', path: '', message: expect.stringContaining('not valid JSON') }]);
  });

  it('names a place rule’s unknown geofence, a correlation key the events lack, and a broken geofences file', () => {
    const copy = copyOfProject();
    const rule = (id: string, trigger: Record<string, unknown>) =>
      writeFileSync(join(copy, 'rules', `${id}.json`), JSON.stringify({ id, name: id, trigger, channel: 'email', template: 'birthday' }));
    rule('near-nowhere', { type: 'place', on: 'enter', geofences: ['nowhere'] });
    rule('wrong-key', {
      type: 'sequence',
      key: 'detail.properties.cartNumber',
      steps: [{ event: { 'detail-type': ['checkout.started'] } }],
      absent: { event: { 'detail-type': ['order.completed'] }, within: '1h' },
    });
    expect(projectProblems(copy)).toContainEqual({
      file: 'near-nowhere.json',
      path: 'trigger.geofences.0',
      message: expect.stringContaining('no geofence "nowhere" in geofences.json'),
    });
    rule('near-nowhere', { type: 'place', on: 'enter', geofences: ['flagship-berlin'] });
    expect(projectProblems(copy)).toEqual([
      { file: 'wrong-key.json', path: 'trigger.key', message: expect.stringContaining('have no field "detail.properties.cartNumber"') },
      { file: 'wrong-key.json', path: 'trigger.key', message: expect.stringContaining('order.completed') },
    ]);
    writeFileSync(
      join(copy, 'rules', 'geofences.json'),
      JSON.stringify({ geofences: [{ id: 'x', circle: { latitude: 95, longitude: 0, radiusMeters: 10 } }] }),
    );
    expect(projectProblems(copy)).toContainEqual({ file: 'geofences.json', path: 'geofences.0.circle.latitude', message: expect.any(String) });
  });
});
