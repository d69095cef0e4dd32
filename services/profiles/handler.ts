import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { z } from 'zod';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { ProfileStore } from './adapters/profile-store.js';
import { updateProfile } from './update-profile.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), TABLE_NAME: z.string().min(3) }));
const logger = createLogger('profiles');
const publisher = new BusPublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
const store = new ProfileStore(new DynamoDBClient({}), config.TABLE_NAME);

async function onCustomerEvent(event: unknown): Promise<void> {
  const { contract, detailType, detail } = parseBusEvent(event, ...Events.customerEvents);
  const customerEvent = { detailType, detail };
  const outcome = await updateProfile(store, customerEvent, new Date());
  if (outcome.kind === 'duplicate' && outcome.published) {
    logger.info('Duplicate event ignored', { eventId: detail.eventId, profileId: outcome.profile.profileId });
    return;
  }
  await publisher.publish(Events.ProfileUpdated, {
    profileId: outcome.profile.profileId,
    changed: [...outcome.changed],
    profile: outcome.profile,
    trigger: { source: contract.source, 'detail-type': detailType, detail },
  });
  await store.markPublished(outcome.profile.profileId, detail.eventId);
}

export const handler = middy(onCustomerEvent).use(injectLambdaContext(logger));
