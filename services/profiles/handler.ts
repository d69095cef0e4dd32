import { busNeedsOf } from '#project/bus-needs.js';
import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher, type Publication } from '#shared/adapters/bus-publisher.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { catalogueShop } from '#shared/recommendations.js';
import { shopSettings } from '#shared/shops.js';
import { subscriptionsFor, wantedOnBus } from '#shared/topology.js';
import { CatalogueStore } from './adapters/catalogue-store.js';
import { PrivacyRecords } from './adapters/privacy-records.js';
import { ProfilePrivacy } from './adapters/profile-privacy.js';
import { ProfileStore } from './adapters/profile-store.js';
import { applyProductUpdate, personalSignals, recordCommerceFacts } from './catalogue.js';
import { ProfilesEnvironment } from './environment.js';
import { carryOutPrivacyRequest, type PrivacyPorts } from './privacy-request.js';
import { announcements, recordAnnounced, updateProfile } from './update-profile.js';

const env = loadConfig(ProfilesEnvironment);
const observability = new Observability('profiles');
const { logger } = observability;
const project = loadDeployedProject(env);
// What no rule or function subscribes to is not put on the bus: the rules deployed with this function say what they want.
const publisher = new BusPublisher(
  observability.client(awsClients.eventBridge()),
  env.EVENT_BUS_NAME,
  wantedOnBus(subscriptionsFor(busNeedsOf(project.rules))),
);
const dynamo = observability.client(awsClients.dynamoDb());
const store = new ProfileStore(dynamo, env.TABLE_NAME);
const catalogue = new CatalogueStore(dynamo, env.TABLE_NAME);
const privacyPorts: PrivacyPorts = { privacy: new ProfilePrivacy(dynamo, env.TABLE_NAME), records: new PrivacyRecords(dynamo, env.TABLE_NAME) };
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

/** A customer event: applied to its person's profile once, then the change announced (and, but for browsing, marked announced). */
async function onCustomerEvent(event: unknown): Promise<void> {
  const { contract, detailType, detail, envelope } = parseBusEvent(event, ...Events.customerEvents);
  const outcome = await updateProfile(store, { detailType, detail }, project.profiles, now(), envelope.id);
  const publications = announcements(outcome, { source: contract.source, detailType, detail });
  if (publications.length === 0) {
    // A copy is routine (an order comes as orders/create, orders/paid and orders/updated): not worth a line a copy.
    if (outcome.kind === 'unattached') logger.info('Event names no known person; nothing to update', { eventId: detail.eventId, detailType });
    else logger.debug('Duplicate event ignored', { eventId: detail.eventId, detailType });
    return;
  }
  // One at a time, in order: the merge is on the bus before the update that follows from it.
  for (const publication of publications) {
    await publisher.publishAll([publication]);
  }
  const commerceFacts = async () => {
    if (outcome.kind !== 'applied') return;
    try {
      await recordCommerceFacts(catalogue, { detailType, detail }, outcome.profile.profileId);
    } catch (error) {
      // The person is updated and told; interest and counts are for later messages, never a reason to retry this one.
      logger.error('Could not record product interest or order counts', { eventId: detail.eventId, error });
    }
  };
  // Side by side: neither waits on the other, and the function bills by the millisecond.
  const [marked] = await Promise.allSettled([recordAnnounced(store, outcome, detailType, detail.eventId), commerceFacts()]);
  if (marked.status === 'rejected') throw marked.reason;
}

/** A change to a shop's catalogue: kept, and what it tells shoppers published. */
async function onProductUpdate(event: unknown): Promise<void> {
  const { detail } = parseBusEvent(event, Events.ProductUpdated);
  const { outcome, publications } = await applyProductUpdate(catalogue, detail, shopSettings(project.profiles.shops, detail.origin.shop)?.currency);
  if (outcome.kind === 'unknown-item')
    logger.info('Stock level kept for an inventory item no product has named yet', { inventoryItemId: outcome.inventoryItemId });
  await publisher.publishAll(publications);
  // Signals are rare; marking them told spares everyone interested a second telling on a copy of the update.
  if (publications.length > 0 && (outcome.kind === 'changed' || outcome.kind === 'retold'))
    await catalogue.markSignalsTold(catalogueShop(detail.origin.shop), outcome.productId, detail.eventId);
}

/** A product signal (back in stock, price dropped), told to each person interested in the product. */
async function onProductSignal(event: unknown): Promise<void> {
  const { contract, detail } = parseBusEvent<(typeof Events.productSignals)[number]>(event, ...Events.productSignals);
  observability.countIn(contract.detailType);
  let batch: Publication[] = [];
  let told = 0;
  const flush = async () => {
    await publisher.publishAll(batch);
    told += batch.length;
    batch = [];
  };
  for await (const publication of personalSignals(catalogue, (profileId) => store.resolve(profileId), { detailType: contract.detailType, detail }, now())) {
    batch.push(publication);
    if (batch.length >= 50) await flush();
  }
  await flush();
  logger.info('Product signal told', { detailType: contract.detailType, productId: detail.properties.productId, people: told });
}

/** A shop's data-subject request (Shopify's compliance webhooks): carried out, and recorded for the shop. */
async function onPrivacyRequest(event: unknown): Promise<void> {
  const { detail } = parseBusEvent(event, Events.PrivacyRequested);
  const outcome = await carryOutPrivacyRequest(detail, privacyPorts, now());
  // Logged without the person: who asked is the shop's record, not the log's.
  logger.info('Data-subject request done', { request: detail.request, shop: detail.origin.shop, profiles: outcome.profiles });
  observability.counted('DataSubjectRequests', { Action: detail.request });
}

const productSignalTypes: ReadonlySet<unknown> = new Set(Events.productSignals.map((contract) => contract.detailType));

function onEvent(event: unknown): Promise<void> {
  const detailType = (event as { 'detail-type'?: unknown } | null)?.['detail-type'];
  if (detailType === Events.PrivacyRequested.detailType) return onPrivacyRequest(event);
  if (detailType === Events.ProductUpdated.detailType) return onProductUpdate(event);
  if (productSignalTypes.has(detailType)) return onProductSignal(event);
  return onCustomerEvent(event);
}

export const handler = observability.handler(permanentFailures.handling(onEvent));
