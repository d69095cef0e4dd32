import { createServer, request as httpRequest, type Server } from 'node:http';
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

/**
 * A proxy in front of DynamoDB Local that fails the calls `failing` picks (by operation, such as
 * TransactWriteItems, and request body) with the 500 DynamoDB answers in an outage; everything else
 * passes through. For the runtime's `dynamoDbFront` option.
 */
export function failingDynamoDbFront(failing: (operation: string, body: Buffer) => boolean) {
  return async (target: string) => {
    const server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        if (failing(operation, body)) {
          outgoing.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'The table is down' }));
          return;
        }
        const forward = httpRequest(`${target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(outgoing);
        });
        forward.end(body);
      });
    });
    return serveOnLoopback(server);
  };
}

/**
 * A proxy in front of DynamoDB Local that lets DynamoDB carry out the calls `losing` picks and then
 * cuts the connection before the answer gets back: the SDK retries a write that already happened,
 * as it does when an answer is lost in AWS. Each pick loses one answer; everything else passes.
 */
export function answerLosingDynamoDbFront(losing: (operation: string, body: Buffer) => boolean) {
  return async (target: string) => {
    const server = createServer((incoming, outgoing) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const body = Buffer.concat(chunks);
        const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
        const lose = losing(operation, body);
        const forward = httpRequest(`${target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
          if (lose) {
            answer.resume();
            answer.on('end', () => outgoing.socket?.destroy());
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(outgoing);
        });
        forward.end(body);
      });
    });
    return serveOnLoopback(server);
  };
}
