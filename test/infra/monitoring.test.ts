import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadProject } from '#project/load-project.js';
import { scheduleGroupName } from '#shared/topology.js';
import { NudgeStack } from '../../infra/nudge-stack.js';
import { copyOfProject, writeRule } from '../support/fixtures.js';

// Built as test/infra/stack.test.ts builds it, but without bundling the functions' code
// (the alarms only need the template), so two stacks synthesise in a few seconds.
const build = (alarmEmail?: string, context: Record<string, unknown> = {}) => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new NudgeStack(app, 'Nudge', { senderAddress: 'Shop <hello@shop.example>', sesIdentity: 'shop.example', alarmEmail });
  return { app, stack, template: Template.fromStack(stack) };
};
const { template } = build();

type Resource = { Properties: Record<string, unknown> };
type Metric = { MetricName: string; Namespace: string; Dimensions?: { Name: string; Value: unknown }[] };
type Alarm = {
  Properties: {
    MetricName?: string;
    Namespace?: string;
    Dimensions?: { Name: string; Value: unknown }[];
    // cdk-monitoring-constructs writes every alarm as metric queries, with a label.
    Metrics?: { Id: string; Expression?: string; MetricStat?: { Metric: Metric; Stat: string; Period: number } }[];
    Threshold: number;
    ComparisonOperator: string;
    EvaluationPeriods: number;
    DatapointsToAlarm?: number;
    TreatMissingData?: string;
    AlarmActions?: unknown[];
  };
};
const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Alarm[];
/** The metrics an alarm reads: its own, or those of its math expression. */
const metricsOf = (alarm: Alarm): Metric[] =>
  alarm.Properties.MetricName !== undefined
    ? [{ MetricName: alarm.Properties.MetricName, Namespace: alarm.Properties.Namespace as string, Dimensions: alarm.Properties.Dimensions }]
    : (alarm.Properties.Metrics ?? []).flatMap((query) => (query.MetricStat ? [query.MetricStat.Metric] : []));
const namespaceOf = (alarm: Alarm) => [...new Set(metricsOf(alarm).map((metric) => metric.Namespace))];
const alarmsOn = (metricName: string, dimension?: { Name: string; Value: unknown }) =>
  alarms.filter((alarm) =>
    metricsOf(alarm).some(
      (metric) => metric.MetricName === metricName && (dimension === undefined || JSON.stringify(metric.Dimensions ?? []).includes(JSON.stringify(dimension))),
    ),
  );
const onlyAlarmOn = (metricName: string, dimension?: { Name: string; Value: unknown }) => {
  const found = alarmsOn(metricName, dimension);
  expect([metricName, found.length]).toEqual([metricName, 1]);
  return found[0] as Alarm;
};

const functionIds = Object.entries(template.findResources('AWS::Lambda::Function'))
  .filter(([, fn]) => fn.Properties.Runtime === 'nodejs24.x')
  .map(([id]) => id);
const queues = Object.entries(template.findResources('AWS::SQS::Queue')) as [string, Resource][];
// Dead-letter queues keep messages 14 days; the work queues 4.
const deadLetterQueueIds = queues.filter(([, queue]) => queue.Properties.MessageRetentionPeriod === 14 * 24 * 3600).map(([id]) => id);
const workQueueIds = queues.filter(([, queue]) => queue.Properties.RedrivePolicy !== undefined).map(([id]) => id);
const queueName = (id: string) => ({ Name: 'QueueName', Value: { 'Fn::GetAtt': [id, 'QueueName'] } });

describe('monitoring in AWS', () => {
  it('has one CloudWatch dashboard and outputs its name and URL', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'Nudge' });
    template.hasOutput('DashboardName', { Value: 'Nudge' });
    const url = JSON.stringify(template.findOutputs('DashboardUrl').DashboardUrl?.Value);
    expect(url).toContain('.console.aws.amazon.com/cloudwatch/home?region=');
    expect(url).toContain('#dashboards/dashboard/Nudge');
  });

  it('alarms on the errors and the throttles of every function', () => {
    // Intake, profiles, rules, dispatch, feedback, measurement, enrichment and the profiles admin function.
    expect(functionIds).toHaveLength(8);
    expect(alarmsOn('Errors')).toHaveLength(functionIds.length);
    expect(alarmsOn('Throttles')).toHaveLength(functionIds.length);
    for (const id of functionIds) {
      const dimension = { Name: 'FunctionName', Value: { Ref: id } };
      const errors = onlyAlarmOn('Errors', dimension);
      expect(namespaceOf(errors)).toEqual(['AWS/Lambda']);
      expect(errors.Properties).toMatchObject({
        Threshold: 5,
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
      });
      const throttles = onlyAlarmOn('Throttles', dimension);
      expect(namespaceOf(throttles)).toEqual(['AWS/Lambda']);
      expect(throttles.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        DatapointsToAlarm: 2,
        EvaluationPeriods: 3,
      });
    }
  });

  it('alarms on the depth and the age of the oldest message of every dead-letter queue, and on the dispatch backlog', () => {
    // Profiles, rules, dispatch, feedback, measurement, enrichment and the Scheduler timers.
    expect(deadLetterQueueIds).toHaveLength(7);
    expect(deadLetterQueueIds).toEqual(expect.arrayContaining([expect.stringMatching(/^TimersDeadLetters/), expect.stringMatching(/^DispatchDeadLetters/)]));
    expect(alarmsOn('ApproximateNumberOfMessagesVisible')).toHaveLength(deadLetterQueueIds.length);
    for (const id of deadLetterQueueIds) {
      const depth = onlyAlarmOn('ApproximateNumberOfMessagesVisible', queueName(id));
      expect(namespaceOf(depth)).toEqual(['AWS/SQS']);
      expect(depth.Properties).toMatchObject({
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
      });
      const age = onlyAlarmOn('ApproximateAgeOfOldestMessage', queueName(id));
      expect(namespaceOf(age)).toEqual(['AWS/SQS']);
      expect(age.Properties).toMatchObject({
        Threshold: 3 * 24 * 3600,
        ComparisonOperator: 'GreaterThanThreshold',
      });
    }
    // The work queues (dispatch's requests, the rules' campaign chunks): age only (never empty for long under load, so no depth alarm).
    expect(workQueueIds).toEqual([expect.stringMatching(/^RulesQueue/), expect.stringMatching(/^DispatchQueue/)]);
    for (const id of workQueueIds) {
      expect(onlyAlarmOn('ApproximateAgeOfOldestMessage', queueName(id)).Properties).toMatchObject({
        Threshold: 30 * 60,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      expect(alarmsOn('ApproximateNumberOfMessagesVisible', queueName(id))).toEqual([]);
    }
    expect(alarmsOn('ApproximateAgeOfOldestMessage')).toHaveLength(deadLetterQueueIds.length + workQueueIds.length);
  });

  it('alarms on intake API 5xx as a count and 4xx as a share of requests', () => {
    const apiId = Object.keys(template.findResources('AWS::ApiGatewayV2::Api'))[0] as string;
    const api = { Name: 'ApiId', Value: { Ref: apiId } };
    const stage = { Name: 'Stage', Value: '$default' };
    const fiveXx = onlyAlarmOn('5xx', api);
    expect(namespaceOf(fiveXx)).toEqual(['AWS/ApiGateway']);
    expect(alarmsOn('5xx', stage)).toEqual([fiveXx]);
    expect(fiveXx.Properties).toMatchObject({ Threshold: 5, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    const fourXx = onlyAlarmOn('4xx', api);
    expect(alarmsOn('4xx', stage)).toEqual([fourXx]);
    expect(fourXx.Properties).toMatchObject({ Threshold: 0.1, ComparisonOperator: 'GreaterThanThreshold', DatapointsToAlarm: 3, EvaluationPeriods: 3 });
    // The share is the metric's average, counted only over periods of more than 10 requests (its sample count).
    expect(fourXx.Properties.Metrics?.map((query) => query.Expression ?? query.MetricStat?.Stat)).toEqual([
      'IF(sampleCount > 10, metric)',
      'Average',
      'SampleCount',
    ]);
  });

  it('alarms on timers EventBridge Scheduler dropped or could not dead-letter, and on its target errors, for the Nudge group', () => {
    const group = { Name: 'ScheduleGroup', Value: scheduleGroupName };
    const lost = onlyAlarmOn('InvocationDroppedCount', group);
    expect(metricsOf(lost).map((metric) => metric.MetricName)).toEqual(['InvocationDroppedCount', 'InvocationsFailedToBeSentToDeadLetterCount']);
    expect(metricsOf(lost).every((metric) => metric.Namespace === 'AWS/Scheduler')).toBe(true);
    expect(lost.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
    const targetErrors = onlyAlarmOn('TargetErrorCount', group);
    expect(namespaceOf(targetErrors)).toEqual(['AWS/Scheduler']);
    expect(targetErrors.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it('alarms on the account’s SES bounce rate over 2 % and complaint rate over 0.1 % (fractions), with reputation metrics on the configuration set', () => {
    for (const [metricName, threshold] of [
      ['Reputation.BounceRate', 0.02],
      ['Reputation.ComplaintRate', 0.001],
    ] as const) {
      const alarm = onlyAlarmOn(metricName);
      expect(alarm.Properties).toMatchObject({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      // Account level (no dimension): what SES reviews and pauses on.
      expect(metricsOf(alarm)).toEqual([{ MetricName: metricName, Namespace: 'AWS/SES' }]);
    }
    template.hasResourceProperties('AWS::SES::ConfigurationSet', { ReputationOptions: { ReputationMetricsEnabled: true } });
  });

  it('alarms as soon as a message fails for an empty coupon pool', () => {
    const alarm = onlyAlarmOn('CouponsExhausted', { Name: 'service', Value: 'dispatch' });
    expect(metricsOf(alarm)).toEqual([{ MetricName: 'CouponsExhausted', Namespace: 'Nudge', Dimensions: [{ Name: 'service', Value: 'dispatch' }] }]);
    expect(alarm.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
  });

  it('sends every alarm, and nothing else, to one encrypted SSL-only topic that CloudWatch of this account may publish to', () => {
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const topicId = Object.keys(template.findResources('AWS::SNS::Topic'))[0] as string;
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    const topicPolicy = JSON.stringify(Object.values(template.findResources('AWS::SNS::TopicPolicy')).map((policy) => policy.Properties.PolicyDocument));
    expect(topicPolicy).toContain('"aws:SecureTransport":"false"');
    expect(topicPolicy).toContain('cloudwatch.amazonaws.com');
    expect(topicPolicy).toContain('aws:SourceAccount');
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).toContain('cloudwatch.amazonaws.com');
    // Two per function, two per dead-letter queue, one per work queue, two on the API, two on Scheduler, two on SES, one on coupons.
    expect(alarms).toHaveLength(2 * functionIds.length + 2 * deadLetterQueueIds.length + workQueueIds.length + 7);
    for (const alarm of alarms) expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    template.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('subscribes no one by default, and the alarmEmail address when it is given', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 0);
    const withEmail = build('ops@shop.example');
    withEmail.template.resourceCountIs('AWS::SNS::Subscription', 1);
    const topicId = Object.keys(withEmail.template.findResources('AWS::SNS::Topic'))[0] as string;
    withEmail.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@shop.example', TopicArn: { Ref: topicId } });
    // And the AwsSolutions checks still pass with it, run as stack.test.ts runs them.
    const assembly = withEmail.app.synth();
    const templatePath = join(assembly.directory, withEmail.stack.templateFile);
    const report = new AwsSolutionsChecks(withEmail.app).validate({
      templatePaths: [templatePath],
      stackTemplates: [{ stackConstructPath: withEmail.stack.node.path, templatePath, accountId: undefined, region: undefined }],
      appConstruct: withEmail.app,
    });
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('logs JSON without Lambda’s own INFO lines and names the Powertools metrics namespace', () => {
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { LoggingConfig: { LogFormat: 'JSON', SystemLogLevel: 'WARN', ApplicationLogLevel: 'INFO' } },
      functionIds.length,
    );
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ POWERTOOLS_METRICS_NAMESPACE: 'Nudge', POWERTOOLS_LOG_LEVEL: 'INFO' }) } },
      functionIds.length,
    );
  });

  it('traces no function with X-Ray unless the deployment asks, and then every one, each role allowed to write traces', () => {
    const xrayActions = (built: ReturnType<typeof build>) => {
      const policies = Object.values(built.template.findResources('AWS::IAM::Policy'));
      const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]);
      return statements.flatMap((statement) => [statement.Action].flat()).filter((action) => action.startsWith('xray:'));
    };
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, 0);
    template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ POWERTOOLS_TRACE_ENABLED: 'false' }) } },
      functionIds.length,
    );
    expect(xrayActions({ template } as ReturnType<typeof build>)).toEqual([]);

    const traced = build(undefined, { tracing: 'true' });
    traced.template.resourcePropertiesCountIs('AWS::Lambda::Function', { TracingConfig: { Mode: 'Active' } }, functionIds.length);
    traced.template.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Environment: { Variables: Match.objectLike({ POWERTOOLS_TRACE_ENABLED: 'true' }) } },
      functionIds.length,
    );
    const policies = Object.values(traced.template.findResources('AWS::IAM::Policy'));
    for (const [id, fn] of Object.entries(traced.template.findResources('AWS::Lambda::Function'))) {
      const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const actions = policies
        .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(roleId))
        .flatMap((policy) => policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) => statement.Action));
      expect([id, actions]).toEqual([id, expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'])]);
    }
    expect(xrayActions(traced).length).toBeGreaterThan(0);
  });
});

describe('a broadcast in the stack', () => {
  it('is one schedule, at its first wave still to come, however many waves it has', () => {
    const project = copyOfProject();
    writeRule(project, {
      id: 'black-friday',
      name: 'Black Friday',
      trigger: { type: 'time', once: '2026-11-27T09:00' },
      channel: 'email',
      template: 'we-miss-you',
    });
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new NudgeStack(app, 'Nudge', {
      senderAddress: 'Shop <hello@shop.example>',
      sesIdentity: 'shop.example',
      project: loadProject(project),
      now: Date.parse('2026-11-27T08:30:00Z'),
    });
    const schedules = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule')).map((resource) => resource.Properties);
    expect(schedules.filter((schedule) => String(schedule.Name).startsWith('rule-black-friday'))).toEqual([
      expect.objectContaining({ Name: 'rule-black-friday', ScheduleExpression: 'at(2026-11-27T09:00:00)', ScheduleExpressionTimezone: 'UTC' }),
    ]);
  });
});
