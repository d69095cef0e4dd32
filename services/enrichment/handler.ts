import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { SecretText } from '#shared/adapters/secret-text.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent } from '#shared/events/bus-event.js';
import type { CustomerEventContract } from '#shared/events/index.js';
import * as Events from '#shared/events/index.js';
import { ownValue } from '#shared/lookup.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { PermanentError } from '#shared/result.js';
import { BigCommerceApi } from './adapters/bigcommerce-api.js';
import { enrichEvent } from './enrich.js';
import { EnrichmentEnvironment } from './environment.js';

const env = loadConfig(EnrichmentEnvironment);
const observability = new Observability('enrichment');
const { logger } = observability;
const publisher = new BusPublisher(observability.client(awsClients.eventBridge()), env.EVENT_BUS_NAME);
const tokens = new SecretText(observability.client(awsClients.secretsManager()), env.BIGCOMMERCE_TOKENS_ID, 2);
const api = new BigCommerceApi(env.BIGCOMMERCE_API_URL);
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

async function tokenFor(store: string): Promise<string | undefined> {
  let configured: unknown;
  try {
    configured = JSON.parse(await tokens.current(Date.now()));
  } catch {
    throw new PermanentError(`The BigCommerce tokens secret ${env.BIGCOMMERCE_TOKENS_ID} is not JSON: write {"<store hash>": "<API token>"}`);
  }
  const table = typeof configured === 'object' && configured !== null ? (configured as Record<string, unknown>) : {};
  // Only configured stores: a store hash named "constructor" finds nothing.
  const token = ownValue(table, store) ?? ownValue(table, '*');
  return typeof token === 'string' && token !== '' ? token : undefined;
}

/** A thin BigCommerce event (a customer's, or a product change): completed from BigCommerce's API and put back on the bus for profiles. */
async function onEvent(event: unknown): Promise<void> {
  const { contract, detailType, detail } = parseBusEvent<CustomerEventContract | typeof Events.ProductUpdated>(
    event,
    ...Events.customerEvents,
    Events.ProductUpdated,
  );
  const outcome = await enrichEvent(contract, detailType, detail, { api, tokenFor, publisher });
  observability.counted('Enrichments', { Outcome: outcome });
  if (outcome === 'gone')
    logger.warn('Not enriched: BigCommerce no longer has it (deleted since the webhook); the event is dropped', {
      eventId: detail.eventId,
      needs: detail.needsEnrichment,
    });
}

export const handler = observability.handler(permanentFailures.handling(onEvent));
