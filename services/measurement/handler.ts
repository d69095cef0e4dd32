import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsClients } from '../../shared/adapters/aws-clients.js';
import { loadJsonConfig } from '../../shared/adapters/json-config-file.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { MeasurementStore } from './adapters/measurement-store.js';
import { defaultMeasurementConfig, MeasurementConfig } from './core/config.js';
import { readFact } from './core/facts.js';

const config = loadConfig(z.object({ TABLE_NAME: z.string().min(3), CONFIG_DIR: z.string().min(1).default('config') }));
const logger = createLogger('measurement');
const store = new MeasurementStore(awsClients.dynamoDb(), config.TABLE_NAME);
const configFile = join(config.CONFIG_DIR, 'measurement.json');
const measurementConfig = existsSync(configFile) ? loadJsonConfig(configFile, MeasurementConfig) : defaultMeasurementConfig;

/** One event from the bus: what it says is counted once for its rule and variant. */
async function onEvent(event: unknown): Promise<void> {
  const { detailType, detail } = parseBusEvent(event, ...Events.messageEvents, Events.ProfileUpdated, Events.ProfileMerged);
  const reading = readFact(detailType, detail);
  if (!reading.ok) {
    // A broken order or refund inside a valid profile.updated is said where operators look, not retried.
    // (A bus event that breaks its own contract is refused by parseBusEvent and reaches the dead letters.)
    if (reading.invalid) logger.warn('Not counted: the event breaks its contract', { detailType, reason: reading.ignored });
    else logger.debug('Not counted', { detailType, reason: reading.ignored });
    return;
  }
  const outcome = await store.count(reading.fact, measurementConfig, new Date());
  if (outcome.kind === 'counted' && outcome.note !== undefined) logger.warn('Counted with a correction', { detailType, note: outcome.note });
  else logger.debug(outcome.kind === 'duplicate' ? 'Already counted' : 'Counted', { detailType });
}

export const handler = middy(onEvent).use(injectLambdaContext(logger));
