import { ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade, notifySns } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import { metricsNamespace } from '#shared/observability.js';
import type { ServiceFunction } from './service-function.js';

export interface NudgeMonitoringProps {
  /** Every Nudge function; each is named on the dashboard and in its alarms by its construct id ("Intake"). */
  readonly functions: readonly ServiceFunction[];
  /** Queues the functions read from (dispatch's), alarmed on the age of their oldest message. */
  readonly workQueues: readonly sqs.IQueue[];
  /** Every dead-letter queue: a message there is an event or timer Nudge did not handle. */
  readonly deadLetterQueues: readonly sqs.IQueue[];
  /** The intake HTTP API and its stage. */
  readonly httpApi: apigw.IHttpApi;
  readonly apiStage: string;
  /** The EventBridge Scheduler group the timers and recurring rules run in. */
  readonly scheduleGroupName: string;
  /** The SES configuration set dispatch sends with (reputation metrics enabled on it). */
  readonly configurationSetName: string;
  /** Where alarm e-mails go; without it the topic has no subscription (subscribe other endpoints by hand). */
  readonly alarmEmail?: string;
}

/** Thresholds of the alarms, exported so the infra tests check the same numbers. */
export const alarmThresholds = {
  /** Unhandled errors of one function in 5 minutes: single errors are retried (and their losses end up in a dead-letter queue, alarmed below). */
  functionErrors: 5,
  /** Throttles in 5 minutes, in 2 of 3 periods: account concurrency is exhausted, not a burst Lambda's retries absorbed. */
  functionThrottles: 0,
  /** Dead letters: any message is an event or timer that was not handled. */
  deadLetterDepth: 0,
  /** A dead letter nobody redrove or discarded in 3 days (SQS deletes them at 14). */
  deadLetterAgeSeconds: 3 * 24 * 3600,
  /** Dispatch backlog: retries take at most 3 × 180 s, so half an hour means messages go out late. */
  workQueueAgeSeconds: 30 * 60,
  /** Intake API 5xx in 5 minutes: the function failed or timed out and the platform has to retry. */
  api5xxCount: 5,
  /** Share of intake requests answered 4xx, in 3 consecutive 5-minute periods of more than 10 requests. */
  api4xxRate: 0.1,
  api4xxMinRequests: 10,
  /** Timers Scheduler dropped or could not dead-letter, and target errors (PutEvents failing): any. */
  schedulerFailures: 0,
  /** SES reputation, a fraction (0.02 = 2 %): the bulk-sender limits, well under SES's own review levels (5 % and 0.1 %). */
  sesBounceRate: 0.02,
  sesComplaintRate: 0.001,
  /** Messages failed because their coupon pool was empty, in 5 minutes: any (load more codes). */
  couponsExhausted: 0,
} as const;

/**
 * Nudge's CloudWatch dashboard and alarms, built with cdk-monitoring-constructs: errors and throttles
 * of every function, dead letters, the dispatch backlog, the intake API, Scheduler failures and the
 * SES reputation. Every alarm notifies one encrypted SNS topic.
 */
export class NudgeMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly facade: MonitoringFacade;
  readonly dashboard: cloudwatch.Dashboard;
  readonly dashboardName: string;
  readonly dashboardUrl: string;

  constructor(scope: Construct, id: string, props: NudgeMonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // CloudWatch publishes to an encrypted topic only with a customer managed key whose policy lets it.
    const key = new kms.Key(this, 'AlarmTopicKey', { description: 'Encrypts the Nudge alarm topic', enableKeyRotation: true });
    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: 'Nudge alarms', masterKey: key, enforceSSL: true });
    // Only this account's alarms may publish (and use the key for it).
    this.topic.grantPublish(
      new iam.ServicePrincipal('cloudwatch.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({ service: 'cloudwatch', resource: 'alarm', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    this.dashboardName = stack.stackName;
    const dashboards = new DefaultDashboardFactory(this, 'Dashboards', {
      dashboardNamePrefix: this.dashboardName,
      createDashboard: true,
      createSummaryDashboard: false,
      createAlarmDashboard: false,
    });
    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: stack.stackName,
        actionsEnabled: true,
        action: notifySns(this.topic),
        // One period (5 minutes unless the metric says otherwise) unless an alarm says otherwise.
        datapointsToAlarm: 1,
        evaluationPeriods: 1,
      },
      metricFactoryDefaults: { period: Duration.minutes(5) },
      dashboardFactory: dashboards,
    });
    const dashboard = dashboards.dashboard;
    if (dashboard === undefined) throw new Error('cdk-monitoring-constructs created no dashboard');
    this.dashboard = dashboard;
    this.dashboardUrl = `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards/dashboard/${this.dashboardName}`;

    this.facade.addLargeHeader('Nudge');
    for (const fn of props.functions) {
      const name = fn.node.id;
      this.facade.monitorLambdaFunction({
        lambdaFunction: fn.function,
        humanReadableName: `${name} function`,
        alarmFriendlyName: name,
        isIterator: false,
        addFaultCountAlarm: { Critical: { maxErrorCount: alarmThresholds.functionErrors } },
        addThrottlesCountAlarm: { Critical: { maxErrorCount: alarmThresholds.functionThrottles, datapointsToAlarm: 2, evaluationPeriods: 3 } },
      });
    }

    for (const queue of props.workQueues) {
      this.facade.monitorSqsQueue({
        queue,
        humanReadableName: `${queue.node.id} (work queue)`,
        alarmFriendlyName: queue.node.id,
        addQueueMaxMessageAgeAlarm: {
          Critical: { maxAgeInSeconds: alarmThresholds.workQueueAgeSeconds, treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING },
        },
      });
    }
    // Depth fires on the first dead letter; age is the reminder when nobody redrives them
    // (`nudge dead-letters list|redrive --aws`). An idle queue publishes nothing: not breaching.
    for (const queue of props.deadLetterQueues) {
      this.facade.monitorSqsQueue({
        queue,
        humanReadableName: `${queue.node.id} (dead-letter queue)`,
        alarmFriendlyName: queue.node.id,
        addQueueMaxSizeAlarm: {
          Critical: { maxMessageCount: alarmThresholds.deadLetterDepth, treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING },
        },
        addQueueMaxMessageAgeAlarm: {
          Critical: { maxAgeInSeconds: alarmThresholds.deadLetterAgeSeconds, treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING },
        },
      });
    }

    this.facade.monitorApiGatewayV2HttpApi({
      api: props.httpApi,
      apiStage: props.apiStage,
      humanReadableName: 'Intake API',
      alarmFriendlyName: 'IntakeApi',
      // 5xx: intake answers 2xx or 4xx by design, so a 5xx is the function failing, timing out or
      // being throttled; the platform retries, but Shopify drops webhooks that keep failing.
      add5xxCountAlarm: { Critical: { maxErrorCount: alarmThresholds.api5xxCount } },
      // 4xx as a share of requests (the metric's average), not a count: some 4xx are normal and grow
      // with traffic (scanners, forged or stale unsubscribe links, 429s that platforms retry), while
      // a lasting high share means a whole source is being refused, such as a rotated webhook secret
      // or a changed Segment write key, and its events are lost. Only periods of more than 10 requests
      // count, so one bad request in a quiet night is not 100 %.
      add4xxRateAlarm: {
        Critical: {
          maxErrorRate: alarmThresholds.api4xxRate,
          minSampleCountToEvaluateDatapoint: alarmThresholds.api4xxMinRequests,
          datapointsToAlarm: 3,
          evaluationPeriods: 3,
        },
      },
    });

    // EventBridge Scheduler publishes per group only when something happens, hence FILL and not breaching.
    const schedulerMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Scheduler',
        metricName,
        dimensionsMap: { ScheduleGroup: props.scheduleGroupName },
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(5),
      });
    this.facade.monitorCustom({
      humanReadableName: `Scheduler (group ${props.scheduleGroupName})`,
      alarmFriendlyName: 'Scheduler',
      metricGroups: [
        {
          title: 'Timers and recurring rules',
          metrics: [
            {
              // Runs whose retries (10 over 24 hours) are spent and that could not reach the timers'
              // dead-letter queue either: lost for good. Those that reached it alarm as dead letters.
              alarmFriendlyName: 'Lost',
              metric: new cloudwatch.MathExpression({
                expression: 'FILL(dropped, 0) + FILL(undeliverable, 0)',
                usingMetrics: {
                  dropped: schedulerMetric('InvocationDroppedCount'),
                  undeliverable: schedulerMetric('InvocationsFailedToBeSentToDeadLetterCount'),
                },
                label: 'Dropped or not dead-lettered',
                period: Duration.minutes(5),
              }),
              addAlarm: {
                Critical: {
                  threshold: alarmThresholds.schedulerFailures,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                },
              },
            },
            {
              // PutEvents onto the Nudge bus failed (the Scheduler role, the bus): retried, but every timer is late.
              alarmFriendlyName: 'TargetErrors',
              metric: schedulerMetric('TargetErrorCount').with({ label: 'Target errors' }),
              addAlarm: {
                Critical: {
                  threshold: alarmThresholds.schedulerFailures,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                },
              },
            },
            schedulerMetric('InvocationAttemptCount').with({ label: 'Attempts' }),
            schedulerMetric('InvocationsSentToDeadLetterCount').with({ label: 'Sent to the dead-letter queue' }),
          ],
        },
      ],
    });

    // SES reputation: the alarms read the account-level AWS/SES Reputation.BounceRate and
    // Reputation.ComplaintRate (no dimension), because SES reviews and pauses the whole account on
    // them. The configuration set has reputationMetrics on, so SES also publishes the same two
    // metrics for Nudge's own mail (dimension ses:configuration-set); they are graphed beside, not
    // alarmed. Both are fractions (0.02 = 2 %) over SES's representative volume, updated a few
    // times an hour, so the maximum over an hour; no data until the first bounce or complaint.
    const reputation = (metricName: string, dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({ namespace: 'AWS/SES', metricName, dimensionsMap, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) });
    const reputationAlarm = (threshold: number) => ({
      Critical: {
        threshold,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
      },
    });
    const configurationSet = { 'ses:configuration-set': props.configurationSetName };
    this.facade.monitorCustom({
      humanReadableName: 'SES reputation',
      alarmFriendlyName: 'SES',
      metricGroups: [
        {
          title: 'Bounce rate',
          metrics: [
            {
              alarmFriendlyName: 'BounceRate',
              metric: reputation('Reputation.BounceRate').with({ label: 'Account' }),
              addAlarm: reputationAlarm(alarmThresholds.sesBounceRate),
            },
            reputation('Reputation.BounceRate', configurationSet).with({ label: 'Nudge configuration set' }),
          ],
        },
        {
          title: 'Complaint rate',
          metrics: [
            {
              alarmFriendlyName: 'ComplaintRate',
              metric: reputation('Reputation.ComplaintRate').with({ label: 'Account' }),
              addAlarm: reputationAlarm(alarmThresholds.sesComplaintRate),
            },
            reputation('Reputation.ComplaintRate', configurationSet).with({ label: 'Nudge configuration set' }),
          ],
        },
      ],
    });

    // A coupon pool ran dry: each message that needs a code from it fails (`CouponsExhausted`) until more are loaded.
    this.facade.monitorCustom({
      humanReadableName: 'Coupons',
      alarmFriendlyName: 'Coupons',
      metricGroups: [
        {
          title: 'Messages failed for an empty coupon pool',
          metrics: [
            {
              alarmFriendlyName: 'Exhausted',
              metric: new cloudwatch.Metric({
                namespace: metricsNamespace,
                metricName: 'CouponsExhausted',
                dimensionsMap: { service: 'dispatch' },
                statistic: cloudwatch.Stats.SUM,
                period: Duration.minutes(5),
                label: 'Coupon pool empty',
              }),
              addAlarm: {
                Critical: {
                  threshold: alarmThresholds.couponsExhausted,
                  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                  treatMissingDataOverride: cloudwatch.TreatMissingData.NOT_BREACHING,
                },
              },
            },
          ],
        },
      ],
    });
  }
}
