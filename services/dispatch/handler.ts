import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsClients } from '../../shared/adapters/aws-clients.js';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { BusSchedules } from '../../shared/adapters/bus-schedule.js';
import { DynamoProfileReader } from '../../shared/adapters/profile-reader.js';
import { SecretText } from '../../shared/adapters/secret-text.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { DispatchStore } from './adapters/dispatch-store.js';
import { loadDispatchPolicy } from './adapters/policy-file.js';
import { SesEmailSender } from './adapters/ses-sender.js';
import { SmsSender } from './adapters/sms-sender.js';
import { loadLayouts, loadTemplates } from './adapters/template-files.js';
import { WebhookSender } from './adapters/webhook-sender.js';
import { type DispatchPorts, dispatchMessage } from './dispatch-message.js';

const config = loadConfig(
  z.object({
    EVENT_BUS_NAME: z.string().min(1),
    EVENT_BUS_ARN: z.string().min(1),
    TABLE_NAME: z.string().min(3),
    TEMPLATES_DIR: z.string().min(1),
    CONFIG_DIR: z.string().min(1),
    SENDER_ADDRESS: z.string().min(3),
    SES_CONFIGURATION_SET: z.string().min(1).optional(),
    SCHEDULE_GROUP: z.string().min(1),
    SCHEDULER_ROLE_ARN: z.string().min(1),
    TIMER_DLQ_ARN: z.string().min(1),
    PUBLIC_URL: z.string().url(),
    UNSUBSCRIBE_KEY_ID: z.string().min(1),
    OUTGOING_WEBHOOK_KEY_ID: z.string().min(1),
  }),
);
const secretsManager = awsClients.secretsManager();
const outgoingWebhookKey = new SecretText(secretsManager, config.OUTGOING_WEBHOOK_KEY_ID);
const policy = loadDispatchPolicy(config.CONFIG_DIR);
const unsubscribeKey = new SecretText(secretsManager, config.UNSUBSCRIBE_KEY_ID);
const logger = createLogger('dispatch');
const dynamo = awsClients.dynamoDb();
const ports: DispatchPorts = {
  store: new DispatchStore(dynamo, config.TABLE_NAME),
  profiles: new DynamoProfileReader(dynamo, config.TABLE_NAME),
  schedules: new BusSchedules(awsClients.scheduler(), {
    groupName: config.SCHEDULE_GROUP,
    eventBusArn: config.EVENT_BUS_ARN,
    roleArn: config.SCHEDULER_ROLE_ARN,
    deadLetterQueueArn: config.TIMER_DLQ_ARN,
  }),
  sender: new SesEmailSender(awsClients.ses(), config.SES_CONFIGURATION_SET),
  publisher: new BusPublisher(awsClients.eventBridge(), config.EVENT_BUS_NAME),
  templates: loadTemplates(config.TEMPLATES_DIR),
  layouts: loadLayouts(config.TEMPLATES_DIR),
  sms: new SmsSender(awsClients.sms(), policy.sms.originationIdentity, policy.sms.configurationSet),
  webhooks: new WebhookSender(() => outgoingWebhookKey.current(Date.now())),
  policy,
  senderAddress: config.SENDER_ADDRESS,
  publicUrl: config.PUBLIC_URL,
  unsubscribeKey: () => unsubscribeKey.current(Date.now()),
};

interface SqsBatch {
  readonly Records: readonly { readonly messageId: string; readonly body: string }[];
}

async function onRequest(event: unknown): Promise<void> {
  const { detail: request } = parseBusEvent(event, Events.MessageRequested);
  // A request put back for later is decided as of the time it stands for, however it is delivered.
  const now = Math.max(Date.now(), request.deferredUntil ? Date.parse(request.deferredUntil) : 0);
  const outcome = await dispatchMessage(request, ports, now);
  logger.info('Message dispatched', { messageId: request.messageId, ruleId: request.ruleId, outcome });
}

/**
 * A batch from the dispatch queue: each record is one bus event. Records that fail are reported
 * back (partial batch failure), so only they are received again and, after the queue's last
 * attempt, land in its dead-letter queue; the others are done.
 */
async function onBatch(batch: SqsBatch): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of batch.Records) {
    try {
      await onRequest(JSON.parse(record.body));
    } catch (error) {
      logger.warn('Message not dispatched; it will be received again', { sqsMessageId: record.messageId, error: (error as Error).message });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = middy(onBatch).use(injectLambdaContext(logger));
