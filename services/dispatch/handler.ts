import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { BusSchedules, scheduleTargetOf } from '#shared/adapters/bus-schedule.js';
import { CatalogueReader } from '#shared/adapters/catalogue-reader.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { DecisionTrail, recorderOf } from '#shared/adapters/decision-trail.js';
import { DynamoProfileReader } from '#shared/adapters/profile-reader.js';
import { SecretText } from '#shared/adapters/secret-text.js';
import { now as currentTime } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { NewerContractError, parseBusEvent, parseRecordBody } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import { MessageRef } from '#shared/events/message.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import type { PermanentError } from '#shared/result.js';
import { CouponPools } from './adapters/coupon-pools.js';
import { DispatchStore } from './adapters/dispatch-store.js';
import { SesEmailSender } from './adapters/ses-sender.js';
import { SmsSender } from './adapters/sms-sender.js';
import { WebhookSender } from './adapters/webhook-sender.js';
import { type DispatchPorts, dispatchMessage } from './dispatch-message.js';
import { DispatchEnvironment } from './environment.js';

const env = loadConfig(DispatchEnvironment);
const observability = new Observability('dispatch');
const { logger } = observability;
const project = loadDeployedProject(env);
const secretsManager = observability.client(awsClients.secretsManager());
const outgoingWebhookKey = new SecretText(secretsManager, env.OUTGOING_WEBHOOK_KEY_ID);
const policy = project.dispatch;
const unsubscribeKey = new SecretText(secretsManager, env.UNSUBSCRIBE_KEY_ID);
const dynamo = observability.client(awsClients.dynamoDb());
const coupons = new CouponPools(dynamo, env.TABLE_NAME);
const catalogue = new CatalogueReader(dynamo, env.TABLE_NAME);
const ports: DispatchPorts = {
  store: new DispatchStore(dynamo, env.TABLE_NAME),
  profiles: new DynamoProfileReader(dynamo, env.TABLE_NAME),
  schedules: new BusSchedules(observability.client(awsClients.scheduler()), scheduleTargetOf(env)),
  sender: new SesEmailSender(observability.client(awsClients.ses()), env.SES_CONFIGURATION_SET),
  publisher: new BusPublisher(observability.client(awsClients.eventBridge()), env.EVENT_BUS_NAME),
  templates: project.templates,
  layouts: project.layouts,
  sms: new SmsSender(observability.client(awsClients.sms()), policy.sms.originationIdentity, policy.sms.configurationSet),
  webhooks: new WebhookSender(() => outgoingWebhookKey.current(Date.now())),
  policy,
  senderAddress: env.SENDER_ADDRESS,
  shops: project.shops,
  publicUrl: env.PUBLIC_URL,
  unsubscribeKey: () => unsubscribeKey.current(Date.now()),
  decisions: recorderOf(new DecisionTrail(dynamo, env.TABLE_NAME), logger),
  recommendations: { for: (shop, basket, bought, limit) => catalogue.recommendations(shop, basket, bought, limit) },
  coupons: {
    async claim(pool, messageId, now) {
      const claimed = await coupons.claim(pool, messageId, now);
      // An empty pool fails every message that needs it until more codes are loaded: alarmed.
      if (!claimed.ok && claimed.error.code === 'CouponsExhausted') {
        observability.counted('CouponsExhausted', {});
        logger.warn('Coupon pool exhausted', { pool, messageId });
      }
      return claimed;
    },
  },
};

const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

async function dispatchRecord(record: SQSRecord): Promise<void> {
  const { detail: request } = parseBusEvent(parseRecordBody(record.body), Events.MessageRequested);
  // A request put back for later is decided as of the time it stands for, however it is delivered.
  const now = Math.max(currentTime(), request.deferredUntil ? Date.parse(request.deferredUntil) : 0);
  const outcome = await dispatchMessage(request, ports, now);
  observability.counted('Sends', { Channel: request.channel, Outcome: outcome });
  logger.info('Message dispatched', { messageId: request.messageId, ruleId: request.ruleId, outcome });
}

/**
 * A request that can never be sent as asked: `message.failed`, when it says which message it is,
 * so the message's funnel shows it; then the dead letters, with the reason.
 */
async function reportFailed(record: SQSRecord, error: PermanentError): Promise<void> {
  // A request of a newer contract is sent once this dispatch is deployed and it is redriven.
  if (error instanceof NewerContractError) return;
  let detail: unknown;
  try {
    detail = (JSON.parse(record.body) as { detail?: unknown } | null)?.detail;
  } catch {
    return;
  }
  const ref = MessageRef.safeParse(detail);
  if (!ref.success) return;
  const failed = { ...ref.data, failedAt: new Date(currentTime()).toISOString(), error: { code: 'InvalidRequest', message: error.reason } };
  await ports.publisher.publish(Events.MessageFailed, failed);
}

const onRequest = (record: SQSRecord) =>
  permanentFailures.run(
    () => record.body,
    () => dispatchRecord(record),
    (error) => reportFailed(record, error),
  );

/**
 * A batch from the dispatch queue, one record at a time (SES's pace): records that fail are
 * reported back (partial batch failure), so only they are received again and, after the queue's
 * last attempt, land in its dead-letter queue.
 */
export const handler = observability.handler((batch: SQSEvent) =>
  // A processor per batch: it holds the batch's failures, and batches may run side by side in one process.
  processPartialResponse(batch, onRequest, new BatchProcessor(EventType.SQS), { processInParallel: false, throwOnFullBatchFailure: false }),
);
