import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher, type Publication } from '#shared/adapters/bus-publisher.js';
import { SecretText } from '#shared/adapters/secret-text.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { Observability } from '#shared/observability.js';
import { WebhookSecretStore } from './adapters/webhook-secrets.js';
import { errorReply } from './core/request.js';
import { IntakeEnvironment } from './environment.js';
import { type HttpReply, type IntakePorts, jsonReply, receiveRequest } from './receive-request.js';

const config = loadConfig(IntakeEnvironment);
const observability = new Observability('intake');
const { logger } = observability;

/**
 * Customer events are counted where they come in, by type (`EventsIn`), once on the bus: the functions
 * after intake count their decisions and outcomes, and EventBridge counts what each rule hands on.
 */
class CountingPublisher extends BusPublisher {
  override async publishAll(publications: readonly Publication[]): Promise<void> {
    await super.publishAll(publications);
    for (const { contract, detailType } of publications) observability.countIn(detailType ?? contract.detailType);
  }
}

const secretsManager = observability.client(awsClients.secretsManager());
const ports: IntakePorts = {
  webhookSecrets: new WebhookSecretStore(secretsManager, config.WEBHOOK_SECRETS_ID),
  unsubscribeKey: new SecretText(secretsManager, config.UNSUBSCRIBE_KEY_ID),
  publisher: new CountingPublisher(observability.client(awsClients.eventBridge()), config.EVENT_BUS_NAME),
  logger,
};

const toResponse = (reply: HttpReply): APIGatewayProxyStructuredResultV2 => ({ statusCode: reply.status, headers: { ...reply.headers }, body: reply.body });

async function receive(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const request = {
    method: event.requestContext.http.method,
    path: event.rawPath,
    query: event.rawQueryString ?? '',
    headers: Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value])),
    body: Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8'),
  };
  return toResponse(await receiveRequest(request, ports, { real: Date.now(), clock: now() }));
}

/** Anything unexpected becomes a JSON 500 that leaks no internals. */
const unexpectedErrorsAsJson = (): middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> => ({
  onError: async (request) => {
    logger.error('Unexpected intake failure', { error: request.error as Error });
    request.response = toResponse(jsonReply(errorReply(500, 'internal-error', 'Something went wrong; please retry')));
  },
});

export const handler = observability.handler(receive).use(unexpectedErrorsAsJson());
