import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { createLogger } from '../../shared/logger.js';
import { WebhookSecretStore } from './adapters/webhook-secrets.js';
import { errorReply, type Reply, receiveWebhook } from './core/webhook.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), WEBHOOK_SECRETS_ID: z.string().min(1) }));
const logger = createLogger('intake');
const publisher = new BusPublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
const secrets = new WebhookSecretStore(new SecretsManagerClient({}), config.WEBHOOK_SECRETS_ID);

function toResponse(reply: Reply): APIGatewayProxyStructuredResultV2 {
  return { statusCode: reply.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(reply.body) };
}

async function receive(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const now = new Date();
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const request = { method: event.requestContext.http.method, path: event.rawPath, headers, body };
  const decision = receiveWebhook(request, await secrets.current(now), now);
  if (decision.publish) {
    try {
      await publisher.publish(decision.publish.contract, decision.publish.detail);
    } catch (error) {
      // A 5xx makes the platform retry, so an accepted webhook is never silently lost.
      logger.error('Could not publish an accepted webhook', { error: error as Error, path: request.path });
      return toResponse(errorReply(503, 'publish-failed', 'The event could not be recorded; please retry'));
    }
  }
  if (decision.reply.status >= 400) logger.warn('Webhook refused', { path: request.path, reply: decision.reply.body });
  return toResponse(decision.reply);
}

/** Anything unexpected becomes a JSON 500 that leaks no internals. */
const unexpectedErrorsAsJson = (): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    logger.error('Unexpected intake failure', { error: request.error as Error });
    request.response = toResponse(errorReply(500, 'internal-error', 'Something went wrong; please retry'));
  },
});

export const handler = middy(receive).use(injectLambdaContext(logger)).use(unexpectedErrorsAsJson());
