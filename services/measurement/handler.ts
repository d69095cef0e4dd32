import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { MeasurementStore } from './adapters/measurement-store.js';
import { readFact } from './core/facts.js';
import { MeasurementEnvironment } from './environment.js';

const env = loadConfig(MeasurementEnvironment);
const observability = new Observability('measurement');
const { logger } = observability;
const project = loadDeployedProject(env);
const store = new MeasurementStore(observability.client(awsClients.dynamoDb()), env.TABLE_NAME);
const measurementConfig = project.measurement;
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

/** One event from the bus: what it says is counted once for its rule and variant. */
async function onEvent(event: unknown): Promise<void> {
  const { detailType, detail } = parseBusEvent(event, ...Events.messageEvents, Events.ProfileUpdated, Events.ProfileMerged);
  const reading = readFact(detailType, detail);
  if (!reading.ok) {
    // A broken order or refund inside a valid profile.updated is said where operators look, not retried.
    // (A bus event that breaks its own contract is refused by parseBusEvent and reaches the dead letters.)
    if (reading.error.invalid) logger.warn('Not counted: the event breaks its contract', { detailType, reason: reading.error.reason });
    else logger.debug('Not counted', { detailType, reason: reading.error.reason });
    return;
  }
  const outcome = await store.count(reading.value, measurementConfig, now());
  observability.counted('FactsCounted', { Outcome: outcome.kind });
  if (outcome.kind === 'counted' && outcome.note !== undefined) logger.warn('Counted with a correction', { detailType, note: outcome.note });
  else logger.debug(outcome.kind === 'duplicate' ? 'Already counted' : 'Counted', { detailType });
}

export const handler = observability.handler(permanentFailures.handling(onEvent));
