import { join } from 'node:path';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsClients } from '../../shared/adapters/aws-clients.js';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { loadProfileConfig } from './adapters/profile-config-file.js';
import { ProfileStore } from './adapters/profile-store.js';
import { updateProfile } from './update-profile.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), TABLE_NAME: z.string().min(3), CONFIG_DIR: z.string().min(1).default('config') }));
const logger = createLogger('profiles');
const publisher = new BusPublisher(awsClients.eventBridge(), config.EVENT_BUS_NAME);
const store = new ProfileStore(awsClients.dynamoDb(), config.TABLE_NAME);
const profileConfig = loadProfileConfig(join(config.CONFIG_DIR, 'profiles.json'));

async function onCustomerEvent(event: unknown): Promise<void> {
  const { contract, detailType, detail, envelope } = parseBusEvent(event, ...Events.customerEvents);
  const outcome = await updateProfile(store, { detailType, detail }, profileConfig, new Date(), envelope.id);
  if (outcome.kind === 'unattached') {
    logger.info('Event names no known person; nothing to update', { eventId: detail.eventId, detailType });
    return;
  }
  if (outcome.kind === 'duplicate' && outcome.unfinished === undefined) {
    logger.info('Duplicate event ignored', { eventId: detail.eventId });
    return;
  }
  const { profile, version, changed } = outcome.kind === 'applied' ? outcome : (outcome.unfinished as NonNullable<typeof outcome.unfinished>);
  if (outcome.kind === 'applied' && outcome.merged.length > 0) {
    await publisher.publish(Events.ProfileMerged, { profileId: profile.profileId, mergedProfileIds: [...outcome.merged], eventId: detail.eventId });
  }
  await publisher.publish(Events.ProfileUpdated, {
    profileId: profile.profileId,
    version,
    changed: [...changed],
    segments: outcome.kind === 'applied' ? { entered: [...outcome.segments.entered], left: [...outcome.segments.left] } : { entered: [], left: [] },
    profile,
    trigger: { source: contract.source, 'detail-type': detailType, detail },
  });
  await store.markPublished(detail.eventId);
}

export const handler = middy(onCustomerEvent).use(injectLambdaContext(logger));
