import { z } from 'zod';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { InvalidEventError } from '#shared/events/bus-event.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { DispatchStore } from './adapters/dispatch-store.js';
import { readSesEvent, SesEventRecord } from './core/ses-events.js';
import { SesFeedbackEnvironment } from './environment.js';

const env = loadConfig(SesFeedbackEnvironment);
const observability = new Observability('feedback');
const { logger } = observability;
const store = new DispatchStore(observability.client(awsClients.dynamoDb()), env.TABLE_NAME);
const publisher = new BusPublisher(observability.client(awsClients.eventBridge()), env.EVENT_BUS_NAME);
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

/** SES events from the configuration set (on the default bus): suppression first, then the bus. */
async function onSesEvent(event: unknown): Promise<void> {
  const record = SesEventRecord.safeParse((event as { detail?: unknown }).detail);
  // Not an SES event record: a retry would not change that, and an operator should see it.
  if (!record.success) throw new InvalidEventError(`Not an SES event record: ${z.prettifyError(record.error)}`);
  observability.counted('SesEvents', { EventType: record.data.eventType });
  const feedback = readSesEvent(record.data);
  for (const { address, reason } of feedback.suppress) await store.suppress('email', address, reason, now());
  if (feedback.suppress.length > 0) logger.info('Addresses suppressed', { count: feedback.suppress.length, reason: feedback.suppress[0]?.reason });
  if (feedback.publication) {
    await publisher.publishAll([feedback.publication]);
  }
}

export const handler = observability.handler(permanentFailures.handling(onSesEvent));
