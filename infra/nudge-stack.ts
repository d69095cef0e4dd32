import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import * as integrations from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { busNeedsOf } from '#project/bus-needs.js';
import { loadProject, type Project } from '#project/load-project.js';
import { DispatchEnvironment, SesFeedbackEnvironment } from '#services/dispatch/environment.js';
import { EnrichmentEnvironment } from '#services/enrichment/environment.js';
import { IntakeEnvironment } from '#services/intake/environment.js';
import { MeasurementEnvironment } from '#services/measurement/environment.js';
import { ProfilesAdminEnvironment, ProfilesEnvironment } from '#services/profiles/environment.js';
import { RulesEnvironment } from '#services/rules/environment.js';
import { environmentOf } from '#shared/config.js';
import * as TimerFired from '#shared/events/timer-fired.js';
import { senderParts } from '#shared/shops.js';
import { tableDefinition } from '#shared/table.js';
import { busName, type Consumer, queueDeliveryOf, recurringSchedules, scheduleGroupName, subscriptionsFor } from '#shared/topology.js';
import { NudgeMonitoring } from './constructs/monitoring.js';
import { projectRoot, ServiceFunction } from './constructs/service-function.js';

export interface NudgeStackProps extends StackProps {
  /** The From address of every email, on an identity verified in SES ("Shop <hello@shop.com>"). */
  readonly senderAddress: string;
  /** The verified SES identity the sender belongs to: a domain ("shop.com") or an address. */
  readonly sesIdentity: string;
  /** Where alarm notifications are e-mailed (context `alarmEmail`); none when unset. */
  readonly alarmEmail?: string;
  /** The time the stack is built at (epoch ms): broadcast waves before it are not scheduled. Now, unless a test fixes it. */
  readonly now?: number;
  /** The project as loaded and checked (infra/app.ts); loaded from the repository when not given. */
  readonly project?: Project;
}

/** The project folders bundled beside each function that loads the project (rules/, templates/, config/). */
const projectFolders = ['rules', 'templates', 'config'] as const;

/** Maps an event pattern as written on the bus ("detail-type") to the CDK's property names. */
function toCdkPattern(pattern: Record<string, unknown>): events.EventPattern {
  const names: Record<string, keyof events.EventPattern> = {
    'detail-type': 'detailType',
    source: 'source',
    detail: 'detail',
    account: 'account',
    region: 'region',
    resources: 'resources',
    time: 'time',
    id: 'id',
    version: 'version',
  };
  return Object.fromEntries(Object.entries(pattern).map(([key, value]) => [names[key] ?? key, value])) as events.EventPattern;
}

export class NudgeStack extends Stack {
  constructor(scope: Construct, id: string, props: NudgeStackProps) {
    super(scope, id, props);
    const project = props.project ?? loadProject(projectRoot, { checks: 'run' });

    const table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: tableDefinition.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const bus = new events.EventBus(this, 'Bus', { eventBusName: busName });
    // Every event is kept a year, so any period can be replayed onto the bus (see README, Operations).
    bus.archive('Archive', {
      archiveName: `${busName}-all-events`,
      description: 'Every event on the Nudge bus, for replay',
      eventPattern: { account: [this.account] },
      retention: Duration.days(365),
    });

    const webhookSecrets = new secretsmanager.Secret(this, 'WebhookSecrets', {
      secretName: 'nudge/webhook-secrets',
      description: 'Webhook signing secrets per platform and shop: {"shopify": {"<shop>.myshopify.com": "<secret>", "*": "<default>"}}',
      generateSecretString: { secretStringTemplate: JSON.stringify({ shopify: {} }), generateStringKey: 'unused' },
    });
    Validations.of(webhookSecrets).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Webhook signing secrets are issued by each platform (Shopify app settings); they are rotated there and pasted in, not generated by a rotation Lambda.',
    });

    // Signs unsubscribe links, which never expire: rotating it breaks the links in sent emails.
    const unsubscribeKey = new secretsmanager.Secret(this, 'UnsubscribeKey', {
      secretName: 'nudge/unsubscribe-key',
      description: 'HMAC key of the unsubscribe links in marketing email',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    Validations.of(unsubscribeKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The key signs unsubscribe links that must keep working for as long as sent emails exist; rotating it would break them, so it is not rotated.',
    });

    // Signs the webhook channel's tasks; receivers check it (README, "Dispatch").
    const outgoingWebhookKey = new secretsmanager.Secret(this, 'OutgoingWebhookKey', {
      secretName: 'nudge/outgoing-webhook-key',
      description: 'HMAC key of the tasks Nudge posts to webhook endpoints (Nudge-Signature header)',
      generateSecretString: { excludePunctuation: true, passwordLength: 64 },
    });
    Validations.of(outgoingWebhookKey).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'Shared with the receiving systems, which must be updated in step; it is rotated by hand with them, not by a rotation Lambda.',
    });

    // BigCommerce's webhooks carry ids only: enrichment reads the rest with each store's API token.
    const bigCommerceTokens = new secretsmanager.Secret(this, 'BigCommerceTokens', {
      secretName: 'nudge/bigcommerce-tokens',
      description: 'BigCommerce API tokens per store hash (read-only scopes: orders, carts, customers): {"<store hash>": "<token>"}',
      generateSecretString: { secretStringTemplate: JSON.stringify({}), generateStringKey: 'unused' },
    });
    Validations.of(bigCommerceTokens).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'API tokens are issued by BigCommerce per store (an API account in the store control panel); they are rotated there and pasted in.',
    });

    const configurationSet = new ses.ConfigurationSet(this, 'ConfigurationSet', {
      reputationMetrics: true,
      suppressionReasons: ses.SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    // Every dead-letter queue, for the alarms.
    const deadLetterQueues: sqs.Queue[] = [];
    const deadLetterQueue = (name: string) => {
      const queue = new sqs.Queue(this, `${name}DeadLetters`, {
        retentionPeriod: Duration.days(14),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
      });
      deadLetterQueues.push(queue);
      return queue;
    };

    // Timers: EventBridge Scheduler puts `timer.fired` on the bus with this role; runs it cannot
    // deliver after its retries go to the timers' dead-letter queue.
    const scheduleGroup = new scheduler.CfnScheduleGroup(this, 'ScheduleGroup', { name: scheduleGroupName });
    const timerDeadLetters = deadLetterQueue('Timers');
    Validations.of(timerDeadLetters).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the Scheduler timers (their DeadLetterConfig), which cdk-nag cannot see on CloudFormation schedules.',
    });
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Lets EventBridge Scheduler put Nudge timers on the Nudge bus',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': this.account },
          ArnLike: { 'aws:SourceArn': this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${scheduleGroupName}/*` }) },
        },
      }),
    });
    bus.grantPutEventsTo(schedulerRole);
    timerDeadLetters.grantSendMessages(schedulerRole);
    const timerTarget = {
      arn: bus.eventBusArn,
      roleArn: schedulerRole.roleArn,
      eventBridgeParameters: { source: TimerFired.source, detailType: TimerFired.detailType },
      retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 24 * 3600 },
      deadLetterConfig: { arn: timerDeadLetters.queueArn },
    };

    const common = { EVENT_BUS_NAME: bus.eventBusName };
    const intake = new ServiceFunction(this, 'Intake', {
      service: 'intake',
      description: 'Verifies platform webhooks and puts canonical customer events on the bus',
      timeout: Duration.seconds(10),
      environment: environmentOf(IntakeEnvironment, {
        ...common,
        WEBHOOK_SECRETS_ID: webhookSecrets.secretName,
        UNSUBSCRIBE_KEY_ID: unsubscribeKey.secretName,
      }),
    });
    const consumers: Record<Consumer, { fn: ServiceFunction; dlq: sqs.Queue }> = {
      profiles: (() => {
        const dlq = deadLetterQueue('Profiles');
        const fn = new ServiceFunction(this, 'Profiles', {
          service: 'profiles',
          description: 'Keeps one profile per customer and announces what changed',
          timeout: Duration.seconds(30),
          environment: environmentOf(ProfilesEnvironment, { ...common, TABLE_NAME: table.tableName, PROJECT_DIR: '.', DEAD_LETTER_QUEUE_URL: dlq.queueUrl }),
          assetFolders: projectFolders,
          deadLetterQueue: dlq,
        });
        return { fn, dlq };
      })(),
      rules: (() => {
        const dlq = deadLetterQueue('Rules');
        const fn = new ServiceFunction(this, 'Rules', {
          service: 'rules',
          description: 'Evaluates the marketers’ rules and requests messages',
          timeout: Duration.seconds(30),
          environment: environmentOf(RulesEnvironment, {
            ...common,
            TABLE_NAME: table.tableName,
            PROJECT_DIR: '.',
            DEAD_LETTER_QUEUE_URL: dlq.queueUrl,
            EVENT_BUS_ARN: bus.eventBusArn,
            SCHEDULE_GROUP: scheduleGroupName,
            SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
            TIMER_DLQ_ARN: timerDeadLetters.queueArn,
          }),
          assetFolders: projectFolders,
          deadLetterQueue: dlq,
        });
        return { fn, dlq };
      })(),
      dispatch: (() => {
        const dlq = deadLetterQueue('Dispatch');
        const fn = new ServiceFunction(this, 'Dispatch', {
          service: 'dispatch',
          description: 'Renders and sends requested messages through SES',
          timeout: Duration.seconds(30),
          environment: environmentOf(DispatchEnvironment, {
            ...common,
            TABLE_NAME: table.tableName,
            PROJECT_DIR: '.',
            DEAD_LETTER_QUEUE_URL: dlq.queueUrl,
            // The intake API's URL (links in emails): set below, once the API exists.
            PUBLIC_URL: 'https://replaced.invalid',
            SENDER_ADDRESS: props.senderAddress,
            SES_CONFIGURATION_SET: configurationSet.configurationSetName,
            EVENT_BUS_ARN: bus.eventBusArn,
            SCHEDULE_GROUP: scheduleGroupName,
            SCHEDULER_ROLE_ARN: schedulerRole.roleArn,
            TIMER_DLQ_ARN: timerDeadLetters.queueArn,
            UNSUBSCRIBE_KEY_ID: unsubscribeKey.secretName,
            OUTGOING_WEBHOOK_KEY_ID: outgoingWebhookKey.secretName,
          }),
          assetFolders: projectFolders,
        });
        return { fn, dlq };
      })(),
      feedback: (() => {
        const dlq = deadLetterQueue('Feedback');
        const fn = new ServiceFunction(this, 'Feedback', {
          service: 'dispatch',
          entry: 'ses-feedback.ts',
          description: 'Turns SES events into suppression (hard bounces, complaints) and message.* events',
          timeout: Duration.seconds(30),
          environment: environmentOf(SesFeedbackEnvironment, { ...common, TABLE_NAME: table.tableName, DEAD_LETTER_QUEUE_URL: dlq.queueUrl }),
          deadLetterQueue: dlq,
        });
        return { fn, dlq };
      })(),
      measurement: (() => {
        const dlq = deadLetterQueue('Measurement');
        const fn = new ServiceFunction(this, 'Measurement', {
          service: 'measurement',
          description: 'Counts what each rule and variant sent and earned: funnel, attributed orders, holdout lift',
          timeout: Duration.seconds(30),
          environment: environmentOf(MeasurementEnvironment, { TABLE_NAME: table.tableName, PROJECT_DIR: '.', DEAD_LETTER_QUEUE_URL: dlq.queueUrl }),
          assetFolders: projectFolders,
          deadLetterQueue: dlq,
        });
        return { fn, dlq };
      })(),
      enrichment: (() => {
        const dlq = deadLetterQueue('Enrichment');
        const fn = new ServiceFunction(this, 'Enrichment', {
          service: 'enrichment',
          description: 'Completes thin BigCommerce events from its REST API and puts them back on the bus',
          timeout: Duration.seconds(60),
          environment: environmentOf(EnrichmentEnvironment, {
            ...common,
            BIGCOMMERCE_TOKENS_ID: bigCommerceTokens.secretName,
            BIGCOMMERCE_API_URL: 'https://api.bigcommerce.com',
            DEAD_LETTER_QUEUE_URL: dlq.queueUrl,
          }),
          deadLetterQueue: dlq,
        });
        bigCommerceTokens.grantRead(fn.role);
        return { fn, dlq };
      })(),
    };
    table.grantReadWriteData(consumers.feedback.fn.role);
    table.grantReadWriteData(consumers.measurement.fn.role);
    // Each consumer puts what no retry can mend in its own dead-letter queue at once (PermanentFailures).
    for (const { fn, dlq } of Object.values(consumers)) dlq.grantSendMessages(fn.function);
    // SES publishes the configuration set's events to the account's default bus, where a rule picks them up.
    const defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    configurationSet.addEventDestination('ToEventBridge', {
      destination: ses.EventDestination.eventBus(defaultBus),
      events: [
        ses.EmailSendingEvent.BOUNCE,
        ses.EmailSendingEvent.COMPLAINT,
        ses.EmailSendingEvent.DELIVERY,
        ses.EmailSendingEvent.OPEN,
        ses.EmailSendingEvent.CLICK,
      ],
    });

    bus.grantPutEventsTo(intake.role);
    // Intake keeps nothing: it has no access to the table.
    webhookSecrets.grantRead(intake.role);
    unsubscribeKey.grantRead(intake.role);
    unsubscribeKey.grantRead(consumers.dispatch.fn.role);
    outgoingWebhookKey.grantRead(consumers.dispatch.fn.role);
    // Texts through AWS End User Messaging SMS, from this account's origination identities.
    consumers.dispatch.fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['sms-voice:SendTextMessage'], resources: [this.formatArn({ service: 'sms-voice', resource: '*' })] }),
    );
    Validations.of(consumers.dispatch.fn.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:sms-voice:<AWS::Region>:<AWS::AccountId>:*]',
      reason:
        'SendTextMessage is authorised on the origination identity and configuration set the shop sets in config/dispatch.json; the grant is limited to this account and region.',
    });

    // Data-subject requests (export, erase), authorised by IAM: whoever may invoke this function.
    const profilesAdmin = new ServiceFunction(this, 'ProfilesAdmin', {
      service: 'profiles',
      entry: 'admin.ts',
      description: 'Exports or erases everything Nudge holds on one person (invoke with {"action", "key"})',
      timeout: Duration.minutes(5),
      environment: environmentOf(ProfilesAdminEnvironment, { TABLE_NAME: table.tableName }),
    });
    table.grantReadWriteData(profilesAdmin.role);
    table.grantReadWriteData(consumers.profiles.fn.role);
    table.grantReadWriteData(consumers.rules.fn.role);
    for (const { fn } of Object.values(consumers)) bus.grantPutEventsTo(fn.role);
    // Dispatch sends as the stack's identity, and as each shop's own sender (config/shops.json), whose domain must be an SES identity.
    const shopDomains = Object.values(project.shops).flatMap((shop) => {
      const domain = shop.sender === undefined ? undefined : senderParts(shop.sender)?.domain;
      return domain === undefined ? [] : [domain];
    });
    const identities = [...new Set([props.sesIdentity, ...shopDomains])];
    consumers.dispatch.fn.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['ses:SendEmail'],
        resources: [
          ...identities.map((identity) => this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity })),
          this.formatArn({ service: 'ses', resource: 'configuration-set', resourceName: configurationSet.configurationSetName }),
        ],
      }),
    );

    // Rules (timers) and dispatch (messages deferred past quiet hours) set and delete one-time
    // schedules in Nudge's schedule group only, and may pass only the Scheduler role.
    table.grantReadWriteData(consumers.dispatch.fn.role);
    for (const service of ['rules', 'dispatch'] as const) {
      const role = consumers[service].fn.role;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
          resources: [this.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${scheduleGroupName}/*` })],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: [schedulerRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      );
      // On the policy itself: the check reports the policy resource, not the role.
      Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/nudge/*]',
        reason: 'Schedule names are derived at run time from the rule, person and instance or message; the wildcard is limited to Nudge’s own schedule group.',
      });
    }

    // The rules' own filters are pushed down into the bus, so events no rule wants never invoke it.
    const rules = busNeedsOf(project.rules);
    // Each recurring rule is one schedule in its time zone; Scheduler fills in each run's time.
    // A broadcast's first wave still to come when the stack is synthesised (`props.now`, for tests).
    for (const recurring of recurringSchedules(rules, props.now ?? Date.now())) {
      const wave = recurring.expression.startsWith('at(');
      const schedule = new scheduler.CfnSchedule(this, `Schedule-${recurring.ruleId}`, {
        name: recurring.name,
        groupName: scheduleGroupName,
        description: wave
          ? `Broadcast ${recurring.ruleId}: its first wave still to come, at ${recurring.expression.slice(3, -1)} UTC (each wave schedules the next)`
          : `Recurring rule ${recurring.ruleId}`,
        scheduleExpression: recurring.expression,
        scheduleExpressionTimezone: recurring.timeZone,
        flexibleTimeWindow: { mode: 'OFF' },
        target: { ...timerTarget, input: recurring.input },
      });
      schedule.addResourceDependency(scheduleGroup);
    }
    // Dispatch reads from a queue: batches, partial batch failures, a few attempts then the
    // dead-letter queue, and a bounded number of concurrent senders, so SES's rate is kept.
    const queues = new Map<Consumer, sqs.Queue>();
    const queueFor = (consumer: Consumer): sqs.Queue => {
      const existing = queues.get(consumer);
      if (existing) return existing;
      const { fn, dlq } = consumers[consumer];
      const queue = new sqs.Queue(this, `${fn.node.id}Queue`, {
        // Six times the function's timeout, as Lambda advises, so a batch in flight is not received twice.
        visibilityTimeout: Duration.seconds(6 * 30),
        retentionPeriod: Duration.days(4),
        encryption: sqs.QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: dlq, maxReceiveCount: queueDeliveryOf(consumer).maxReceiveCount },
      });
      fn.function.addEventSource(
        new SqsEventSource(queue, {
          batchSize: queueDeliveryOf(consumer).batchSize,
          reportBatchItemFailures: true,
          maxConcurrency: queueDeliveryOf(consumer).maxConcurrency,
        }),
      );
      queues.set(consumer, queue);
      return queue;
    };
    for (const subscription of subscriptionsFor(rules)) {
      const { fn, dlq } = consumers[subscription.consumer];
      const delivery = { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: Duration.hours(24) };
      new events.Rule(this, subscription.id, {
        eventBus: subscription.bus === 'default' ? defaultBus : bus,
        description: subscription.description,
        eventPattern: toCdkPattern(subscription.pattern),
        targets: [
          subscription.delivery === 'queue'
            ? new targets.SqsQueue(queueFor(subscription.consumer), delivery)
            : new targets.LambdaFunction(fn.function, delivery),
        ],
      });
    }

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.THREE_MONTHS, removalPolicy: RemovalPolicy.DESTROY });
    const api = new apigw.HttpApi(this, 'Api', { description: 'Nudge webhook endpoints', createDefaultStage: false });
    const apiStage = new apigw.HttpStage(this, 'ApiStage', {
      httpApi: api,
      stageName: '$default',
      autoDeploy: true,
      // Beyond this, callers get 429 and retry; platforms all retry 429s.
      throttle: { rateLimit: 200, burstLimit: 400 },
      accessLogSettings: { destination: new apigw.LogGroupLogDestination(accessLogs) },
    });
    const intakeIntegration = new integrations.HttpLambdaIntegration('IntakeIntegration', intake.function);
    // Platform webhooks, the Segment HTTP Tracking API (/v1/track, /v1/batch, …) and signed app events.
    const intakeRoutes = [
      ...['/webhooks/{platform}', '/v1/{call}', '/events/app'].flatMap((path) =>
        api.addRoutes({ path, methods: [apigw.HttpMethod.POST], integration: intakeIntegration }),
      ),
      // Unsubscribe links: a click (GET) and mail clients' one-click request (POST, RFC 8058).
      ...api.addRoutes({ path: '/unsubscribe', methods: [apigw.HttpMethod.GET, apigw.HttpMethod.POST], integration: intakeIntegration }),
    ];
    consumers.dispatch.fn.function.addEnvironment('PUBLIC_URL', api.apiEndpoint);
    for (const route of intakeRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'Called by e-commerce platforms, Segment libraries, shop apps and mail clients (unsubscribe links) that cannot sign AWS requests; each request is authenticated in the intake function by its platform HMAC signature, Segment write key, app signature or the link’s own signature.',
      });
    }

    new CfnOutput(this, 'WebhookUrl', { value: `${api.apiEndpoint}/webhooks/shopify`, description: 'Point Shopify webhooks here' });
    new CfnOutput(this, 'IntakeUrl', {
      value: api.apiEndpoint,
      description: 'Base URL: /webhooks/{shopify,woocommerce,bigcommerce,stripe}, the Segment API under /v1/, and /events/app',
    });
    // Where each service's dead letters are, for `nudge dead-letters list|redrive --aws`.
    for (const [consumer, { fn, dlq }] of Object.entries(consumers)) {
      const name = `${consumer[0]?.toUpperCase()}${consumer.slice(1)}`;
      new CfnOutput(this, `${name}DeadLetterQueueUrl`, { value: dlq.queueUrl, description: `Dead letters of the ${consumer} service` });
      new CfnOutput(this, `${name}FunctionName`, { value: fn.function.functionName });
      const queue = queues.get(consumer as Consumer);
      if (queue !== undefined) {
        new CfnOutput(this, `${name}QueueArn`, { value: queue.queueArn });
        new CfnOutput(this, `${name}DeadLetterQueueArn`, { value: dlq.queueArn });
      }
    }
    new CfnOutput(this, 'EventBusName', { value: bus.eventBusName });
    new CfnOutput(this, 'TableName', { value: table.tableName });
    new CfnOutput(this, 'ProfilesAdminFunction', { value: profilesAdmin.function.functionName, description: 'Invoke for data-subject export and erasure' });
    new CfnOutput(this, 'WebhookSecretsName', { value: webhookSecrets.secretName, description: 'Put the platform signing secrets here' });

    // Dashboard and alarms (infra/constructs/monitoring.ts), on every function and queue defined above.
    const monitoring = new NudgeMonitoring(this, 'Monitoring', {
      functions: this.node.findAll().filter((construct: Construct): construct is ServiceFunction => construct instanceof ServiceFunction),
      workQueues: [...queues.values()],
      deadLetterQueues,
      httpApi: api,
      apiStage: apiStage.stageName,
      scheduleGroupName,
      configurationSetName: configurationSet.configurationSetName,
      alarmEmail: props.alarmEmail,
    });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboardName });
    new CfnOutput(this, 'DashboardUrl', { value: monitoring.dashboardUrl, description: 'The Nudge CloudWatch dashboard' });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn, description: 'Every alarm notifies this topic; subscribe to it' });
  }
}
