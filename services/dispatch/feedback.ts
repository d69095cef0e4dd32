import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsClients } from '../../shared/adapters/aws-clients.js';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { DispatchStore } from './adapters/dispatch-store.js';
import { readSesEvent, SesEventRecord } from './core/feedback.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), TABLE_NAME: z.string().min(3) }));
const logger = createLogger('feedback');
const store = new DispatchStore(awsClients.dynamoDb(), config.TABLE_NAME);
const publisher = new BusPublisher(awsClients.eventBridge(), config.EVENT_BUS_NAME);

/** SES events from the configuration set (on the default bus): suppression first, then the bus. */
async function onSesEvent(event: unknown): Promise<void> {
  const record = SesEventRecord.safeParse((event as { detail?: unknown }).detail);
  if (!record.success) {
    // Not an SES event record: nothing to learn from it, and a retry would not change that.
    logger.warn('Not an SES event record', { issues: record.error.issues });
    return;
  }
  const feedback = readSesEvent(record.data);
  for (const { address, reason } of feedback.suppress) await store.suppress('email', address, reason, Date.now());
  if (feedback.suppress.length > 0) logger.info('Addresses suppressed', { count: feedback.suppress.length, reason: feedback.suppress[0]?.reason });
  if (feedback.publication) await publisher.publishAll([feedback.publication]);
}

export const handler = middy(onSesEvent).use(injectLambdaContext(logger));
