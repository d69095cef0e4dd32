import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { SecretText } from '#shared/adapters/secret-text.js';
import { loadConfig } from '#shared/config.js';
import { Observability } from '#shared/observability.js';
import { unsubscribePath } from '#shared/unsubscribe.js';
import { DeliveryLedger } from './adapters/delivery-ledger.js';
import { WebhookSecretStore } from './adapters/webhook-secrets.js';
import { errorReply, type Reply } from './core/request.js';
import { unsubscribe } from './core/unsubscribe.js';
import { receiveWebhook } from './core/webhook.js';
import { IntakeEnvironment } from './environment.js';
import { publishOnce } from './publish-once.js';

const config = loadConfig(IntakeEnvironment);
const observability = new Observability('intake');
const { logger } = observability;
const publisher = new BusPublisher(observability.client(awsClients.eventBridge(), 'EventBridge'), config.EVENT_BUS_NAME);
const secretsManager = observability.client(awsClients.secretsManager(), 'SecretsManager');
const secrets = new WebhookSecretStore(secretsManager, config.WEBHOOK_SECRETS_ID);
const unsubscribeKey = new SecretText(secretsManager, config.UNSUBSCRIBE_KEY_ID);
const ledger = new DeliveryLedger(observability.client(awsClients.dynamoDb(), 'DynamoDB'), config.TABLE_NAME);

function toResponse(reply: Reply): APIGatewayProxyStructuredResultV2 {
  return { statusCode: reply.status, headers: { 'content-type': 'application/json', ...reply.headers }, body: JSON.stringify(reply.body) };
}

/** An unsubscribe link or one-click request: the consent change is on the bus before the page says so. */
async function receiveUnsubscribe(event: APIGatewayProxyEventV2, now: Date): Promise<APIGatewayProxyStructuredResultV2> {
  const token = new URLSearchParams(event.rawQueryString ?? '').get('token') ?? undefined;
  const outcome = unsubscribe(event.requestContext.http.method, token, await unsubscribeKey.current(now.getTime()), now);
  const html = (status: number, body: string) => ({
    statusCode: status,
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', ...outcome.headers },
    body,
  });
  if (outcome.status !== 200) {
    logger.warn('Unsubscribe link refused');
    return html(outcome.status, outcome.html);
  }
  const recorded = await publishOnce(outcome.decision, ledger, publisher, () => new Date());
  if (recorded.kind === 'failed' || recorded.reply.status >= 400) {
    logger.error('Could not record an unsubscribe', { recorded });
    return html(503, '<!doctype html><title>Please try again</title><p>We could not record that just now. Please try the link again in a minute.</p>');
  }
  return html(200, outcome.html);
}

async function receive(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const now = new Date();
  if (event.rawPath === unsubscribePath) return receiveUnsubscribe(event, now);
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const request = { method: event.requestContext.http.method, path: event.rawPath, headers, body };
  const decision = receiveWebhook(request, await secrets.current(now), now);
  const recorded = await publishOnce(decision, ledger, publisher, () => new Date());
  if (recorded.kind === 'answered') {
    if (recorded.reply.status >= 400) logger.warn('Event refused', { path: request.path, reply: recorded.reply.body });
    if (recorded.unfinished > 0) logger.warn('Events are on the bus but their deliveries could not be marked done', { unfinished: recorded.unfinished });
    return toResponse(recorded.reply);
  }
  // Nothing is on the bus yet: senders back off on 429 and retry any 5xx, so an accepted event is never silently lost.
  const { stage, cause } = recorded;
  if (isThrottling(cause)) {
    logger.warn('Throttled while recording an event', { error: cause as Error, path: request.path, stage });
    return toResponse({ ...errorReply(429, 'throttled', 'Too many events right now; please retry shortly'), headers: { 'retry-after': '1' } });
  }
  logger.error('Could not record an accepted event', { error: cause as Error, path: request.path, stage });
  const reply =
    stage === 'claim'
      ? errorReply(503, 'unavailable', 'The event could not be recorded right now; please retry')
      : errorReply(503, 'publish-failed', 'The event could not be put on the bus; please retry');
  return toResponse({ ...reply, headers: { 'retry-after': '5' } });
}

/** DynamoDB and EventBridge throttling: the sender should slow down, not give up. */
function isThrottling(error: unknown): boolean {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded/.test(name);
}

/** Anything unexpected becomes a JSON 500 that leaks no internals. */
const unexpectedErrorsAsJson = (): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    logger.error('Unexpected intake failure', { error: request.error as Error });
    request.response = toResponse(errorReply(500, 'internal-error', 'Something went wrong; please retry'));
  },
});

export const handler = observability.handler(receive).use(unexpectedErrorsAsJson());
