import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { PrivacyRecords } from './adapters/privacy-records.js';
import { ProfilePrivacy } from './adapters/profile-privacy.js';
import { ProfileStore } from './adapters/profile-store.js';
import { ProfilesEnvironment } from './environment.js';
import { carryOutPrivacyRequest, type PrivacyPorts } from './privacy-request.js';
import { announcements, updateProfile } from './update-profile.js';

const env = loadConfig(ProfilesEnvironment);
const observability = new Observability('profiles');
const { logger } = observability;
const project = loadDeployedProject(env);
const publisher = new BusPublisher(observability.client(awsClients.eventBridge(), 'EventBridge'), env.EVENT_BUS_NAME);
const dynamo = observability.client(awsClients.dynamoDb(), 'DynamoDB');
const store = new ProfileStore(dynamo, env.TABLE_NAME);
const privacyPorts: PrivacyPorts = { privacy: new ProfilePrivacy(dynamo, env.TABLE_NAME), records: new PrivacyRecords(dynamo, env.TABLE_NAME) };
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs(), 'SQS'), env.DEAD_LETTER_QUEUE_URL), observability);

/** A customer event: applied to its person's profile once, then the change announced, then marked announced. */
async function onCustomerEvent(event: unknown): Promise<void> {
  const { contract, detailType, detail, envelope } = parseBusEvent(event, ...Events.customerEvents);
  observability.countEvent('EventsIn', detailType);
  const outcome = await updateProfile(store, { detailType, detail }, project.profiles, now(), envelope.id);
  const publications = announcements(outcome, { source: contract.source, detailType, detail });
  if (publications.length === 0) {
    logger.info(outcome.kind === 'unattached' ? 'Event names no known person; nothing to update' : 'Duplicate event ignored', {
      eventId: detail.eventId,
      detailType,
    });
    return;
  }
  // One at a time, in order: the merge is on the bus before the update that follows from it.
  for (const publication of publications) {
    await publisher.publishAll([publication]);
    observability.countEvent('EventsOut', publication.contract.detailType);
  }
  await store.markPublished(detail.eventId);
}

/** A shop's data-subject request (Shopify's compliance webhooks): carried out, and recorded for the shop. */
async function onPrivacyRequest(event: unknown): Promise<void> {
  const { detail } = parseBusEvent(event, Events.PrivacyRequested);
  observability.countEvent('EventsIn', Events.PrivacyRequested.detailType);
  const outcome = await carryOutPrivacyRequest(detail, privacyPorts, now());
  // Logged without the person: who asked is the shop's record, not the log's.
  logger.info('Data-subject request done', { request: detail.request, shop: detail.origin.shop, profiles: outcome.profiles });
  observability.counted('DataSubjectRequests', { Action: detail.request });
}

const onEvent = (event: unknown) =>
  (event as { 'detail-type'?: unknown } | null)?.['detail-type'] === Events.PrivacyRequested.detailType ? onPrivacyRequest(event) : onCustomerEvent(event);

export const handler = observability.handler(permanentFailures.handling(onEvent));
