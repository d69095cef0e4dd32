import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listens on a free loopback port: the endpoint, and how to stop, for the runtime's `*Front` options. */
export async function serveOnLoopback(server: Server): Promise<{ readonly endpoint: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A proxy in front of a local AWS endpoint of the JSON protocol: each call, whole, with its operation (such as PutItem or PutEvents), to `handle`. */
function jsonProtocolFront(
  handle: (call: { operation: string; body: Buffer; forward: (onAnswer: (answer: IncomingMessage) => void) => void }, outgoing: ServerResponse) => void,
) {
  return async (target: string) => {
    const server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        const forward = (onAnswer: (answer: IncomingMessage) => void) =>
          httpRequest(`${target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, onAnswer).end(body);
        handle({ operation, body, forward }, outgoing);
      });
    });
    return serveOnLoopback(server);
  };
}

const passOn = (outgoing: ServerResponse) => (answer: IncomingMessage) => {
  outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
  answer.pipe(outgoing);
};

/** DynamoDB's answer in an outage. */
export const outage = { status: 500, type: 'InternalServerError', message: 'The table is down' } as const;
/** DynamoDB's answer to a write whose condition someone else's write made false. */
export const lostRace = { status: 400, type: 'ConditionalCheckFailedException', message: 'The conditional request failed' } as const;

/**
 * A proxy in front of DynamoDB Local that fails the calls `failing` picks (by operation, such as
 * TransactWriteItems, and request body) with `answer` (by default the 500 DynamoDB answers in an
 * outage); everything else passes through. For the runtime's `dynamoDbFront` option.
 */
export function failingDynamoDbFront(
  failing: (operation: string, body: Buffer) => boolean,
  answer: { readonly status: number; readonly type: string; readonly message: string } = outage,
) {
  return jsonProtocolFront(({ operation, body, forward }, outgoing) => {
    if (!failing(operation, body)) return forward(passOn(outgoing));
    outgoing.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.0' });
    outgoing.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${answer.type}`, message: answer.message }));
  });
}

/**
 * A proxy in front of DynamoDB Local that lets DynamoDB carry out the calls `losing` picks and then
 * cuts the connection before the answer gets back: the SDK retries a write that already happened,
 * as it does when an answer is lost in AWS. Each pick loses one answer; everything else passes.
 */
export function answerLosingDynamoDbFront(losing: (operation: string, body: Buffer) => boolean) {
  return jsonProtocolFront(({ operation, body, forward }, outgoing) => {
    if (!losing(operation, body)) return forward(passOn(outgoing));
    forward((answer) => {
      answer.resume();
      answer.on('end', () => outgoing.socket?.destroy());
    });
  });
}

/**
 * A proxy in front of the local AWS endpoint (EventBridge, SQS, Secrets Manager) that answers the
 * calls `failing` picks with EventBridge's 500; everything else passes through. For `awsFront`.
 */
export function failingAwsFront(failing: (operation: string, body: Buffer) => boolean) {
  return jsonProtocolFront(({ operation, body, forward }, outgoing) => {
    if (!failing(operation, body)) return forward(passOn(outgoing));
    outgoing.writeHead(500, { 'content-type': 'application/x-amz-json-1.1' });
    outgoing.end(JSON.stringify({ __type: 'InternalException', message: 'EventBridge is down' }));
  });
}
