import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { maxPutEventsBytes, putEventsEntrySize } from '#shared/bus-limits.js';
import { EventBridgeEnvelope } from '#shared/events/bus-event.js';
import { type Consumer, consumerNames } from '#shared/topology.js';
import type { BusEnvelope, LocalEventBus, PutEventsEntry } from './event-bus.js';
import type { LocalScheduler } from './scheduler.js';

/** Secrets Manager ids this endpoint serves, each read from a JSON file on every request. */
export type LocalSecrets = Readonly<Record<string, string>>;

/** A consumer's dead-letter queue as the local endpoint serves it (the URL SQS would give it, on this host). */
export const localDeadLetterQueueUrl = (awsUrl: string, consumer: Consumer) => `${awsUrl}/000000000000/nudge-${consumer}-dead-letters`;

function consumerOfDeadLetterQueue(queueUrl: string): Consumer | undefined {
  const name = /^http:\/\/(?:127\.0\.0\.1|localhost):\d+\/000000000000\/nudge-([a-z]+)-dead-letters$/.exec(queueUrl)?.[1];
  return consumerNames.find((consumer) => consumer === name);
}

/** An answer of the runtime's own operations (`/_local/...`). */
export type AdminReply = { readonly status: number; readonly body: unknown };

type Operation = (input: Record<string, unknown>) => { status: number; body: Record<string, unknown> };

function awsError(status: number, type: string, message: string) {
  return { status, body: { __type: type, message } };
}

/**
 * The slice of the AWS JSON protocol the services use (EventBridge PutEvents, Secrets Manager
 * GetSecretValue, SQS SendMessage to a dead-letter queue) and EventBridge Scheduler's REST API, so the real SDK clients work
 * unchanged through AWS_ENDPOINT_URL_*.
 */
export function createAwsEndpoint(
  bus: LocalEventBus,
  secrets: LocalSecrets,
  region: string,
  scheduler: LocalScheduler,
  recordText: (text: Record<string, unknown>) => string = () => randomUUID(),
  /** The runtime's own operations (`/_local/...`): status, dead letters. */
  admin: (method: string, url: URL) => Promise<AdminReply | undefined> | AdminReply | undefined = () => undefined,
): Server {
  const operations: Record<string, Operation> = {
    // AWS End User Messaging SMS: the text is recorded where the user can read it, not sent.
    'PinpointSMSVoiceV2.SendTextMessage': (input) => {
      if (typeof input.DestinationPhoneNumber !== 'string' || !/^\+[1-9]\d{6,14}$/.test(input.DestinationPhoneNumber)) {
        return awsError(400, 'ValidationException', 'DestinationPhoneNumber must be an E.164 number');
      }
      return { status: 200, body: { MessageId: recordText(input) } };
    },
    'AWSEvents.PutEvents': (input) => {
      const entries = input.Entries;
      if (!Array.isArray(entries) || entries.length === 0 || entries.length > 10) {
        return awsError(400, 'ValidationException', 'Entries must hold 1 to 10 entries.');
      }
      const size = (entries as PutEventsEntry[]).reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
      if (size > maxPutEventsBytes) {
        return awsError(
          400,
          'ValidationException',
          `Total size of the entries in the request is over the limit (${size} bytes; the limit is ${maxPutEventsBytes}).`,
        );
      }
      const results = bus.putEvents(entries as PutEventsEntry[]);
      return { status: 200, body: { FailedEntryCount: results.filter((result) => 'ErrorCode' in result).length, Entries: results } };
    },
    // SQS SendMessage to a consumer's dead-letter queue: what a handler puts there itself, at once.
    'AmazonSQS.SendMessage': (input) => {
      const consumer = consumerOfDeadLetterQueue(String(input.QueueUrl ?? ''));
      if (consumer === undefined) return awsError(400, 'AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
      const body = String(input.MessageBody ?? '');
      // The local dead-letter queues hold bus events, which redrive hands back to their consumer.
      let event: BusEnvelope;
      try {
        event = EventBridgeEnvelope.parse(JSON.parse(body)) as BusEnvelope;
      } catch {
        return awsError(400, 'InvalidParameterValue', 'The local dead-letter queues hold EventBridge events: the body must be one, as JSON.');
      }
      const reason = (input.MessageAttributes as Record<string, { StringValue?: unknown } | undefined> | undefined)?.ErrorMessage?.StringValue;
      bus.deadLetter(consumer, event, typeof reason === 'string' ? reason : 'sent to the dead-letter queue');
      return { status: 200, body: { MessageId: randomUUID(), MD5OfMessageBody: createHash('md5').update(body).digest('hex') } };
    },
    'secretsmanager.GetSecretValue': (input) => {
      const secretId = String(input.SecretId ?? '');
      const file = secrets[secretId];
      if (file === undefined || !existsSync(file)) {
        return awsError(400, 'ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
      }
      return {
        status: 200,
        body: {
          ARN: `arn:aws:secretsmanager:${region}:000000000000:secret:${secretId}`,
          Name: secretId,
          SecretString: readFileSync(file, 'utf8'),
          VersionId: 'local',
          VersionStages: ['AWSCURRENT'],
          CreatedDate: 0,
        },
      };
    },
  };

  return createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      if (request.url?.startsWith('/_local/')) {
        let reply: AdminReply;
        try {
          reply = (await admin(request.method ?? 'GET', new URL(request.url, 'http://localhost'))) ?? {
            status: 404,
            body: { code: 'not-found', message: request.url },
          };
        } catch (error) {
          reply = { status: 500, body: { code: 'internal-error', message: (error as Error).message } };
        }
        response.writeHead(reply.status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(reply.body));
        return;
      }
      // EventBridge Scheduler speaks REST: its requests are told apart by path.
      if (request.url?.startsWith('/schedules/')) {
        scheduler.handle(request, Buffer.concat(chunks).toString('utf8'), response);
        return;
      }
      const target = String(request.headers['x-amz-target'] ?? '');
      // Only the operations above: a header naming `constructor` or `toString` is unknown, not inherited.
      const operation = Object.hasOwn(operations, target) ? operations[target] : undefined;
      let reply: ReturnType<Operation>;
      if (operation === undefined) {
        reply = awsError(400, 'UnknownOperationException', `The local AWS endpoint does not implement ${target || 'this request'}.`);
      } else {
        try {
          reply = operation(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
        } catch (error) {
          reply = awsError(400, 'SerializationException', (error as Error).message);
        }
      }
      response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(reply.body));
    });
  });
}
