import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { DeliveryLedger } from './adapters/delivery-ledger.js';
import { WebhookSecretStore } from './adapters/webhook-secrets.js';
import { errorReply, type Reply } from './core/request.js';
import { receiveWebhook } from './core/webhook.js';
import { PublishFailed, publishOnce } from './receive.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), WEBHOOK_SECRETS_ID: z.string().min(1), TABLE_NAME: z.string().min(3) }));
const logger = createLogger('intake');
const publisher = new BusPublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
const secrets = new WebhookSecretStore(new SecretsManagerClient({}), config.WEBHOOK_SECRETS_ID);
const ledger = new DeliveryLedger(new DynamoDBClient({}), config.TABLE_NAME);

function toResponse(reply: Reply): APIGatewayProxyStructuredResultV2 {
  return { statusCode: reply.status, headers: { 'content-type': 'application/json', ...reply.headers }, body: JSON.stringify(reply.body) };
}

async function receive(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const now = new Date();
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const request = { method: event.requestContext.http.method, path: event.rawPath, headers, body };
  const decision = receiveWebhook(request, await secrets.current(now), now);
  try {
    const reply = await publishOnce(decision, ledger, publisher, () => new Date());
    if (reply.status >= 400) logger.warn('Event refused', { path: request.path, reply: reply.body });
    return toResponse(reply);
  } catch (error) {
    const cause = error instanceof PublishFailed ? error.reason : error;
    // Senders back off on 429 and retry any 5xx, so an accepted event is never silently lost.
    if (isThrottling(cause)) {
      logger.warn('Throttled while recording an event', { error: cause as Error, path: request.path });
      return toResponse({ ...errorReply(429, 'throttled', 'Too many events right now; please retry shortly'), headers: { 'retry-after': '1' } });
    }
    if (!(error instanceof PublishFailed)) throw error;
    logger.error('Could not publish an accepted event', { error: cause as Error, path: request.path });
    return toResponse(errorReply(503, 'publish-failed', 'The event could not be recorded; please retry'));
  }
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

export const handler = middy(receive).use(injectLambdaContext(logger)).use(unexpectedErrorsAsJson());
