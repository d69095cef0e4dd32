import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type LambdaHandler, lambdaContext } from './lambda-context.js';

/** API Gateway HTTP APIs refuse bodies over 10 MB before the function runs. */
const maxPayloadBytes = 10 * 1024 * 1024;

/** Content types API Gateway passes as text; every other body arrives base64-encoded. */
const textTypes = /^(text\/|application\/(json|x-www-form-urlencoded|xml|[\w.+-]+\+json))/i;

function toEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const isText = textTypes.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: url.search ? Object.fromEntries(url.searchParams) : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length === 0 ? undefined : isText ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: body.length > 0 && !isText,
  };
}

/**
 * A request the local runtime answers itself instead of intake (the local webhook receiver):
 * returns the status to answer, or undefined to pass the request on.
 */
export type LocalRoute = (url: URL, method: string, headers: IncomingHttpHeaders, body: Buffer) => LocalReply | undefined | Promise<LocalReply | undefined>;

/** What the local runtime answers itself: a status, and headers and a body if any. */
export interface LocalReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

/** Requests intake works on at once; API Gateway throttles beyond its burst limit with a 429 the same way. */
export const maxConcurrentRequests = 64;

/**
 * The HTTP API in front of intake: turns each request into the event API Gateway would send.
 * When the runtime cannot keep up it says so at once, with Retry-After, instead of letting requests
 * time out: 429 past `maxConcurrentRequests` in flight (as API Gateway's throttling answers), 503
 * while `overloaded` names a reason (the bus's backlog). Platforms retry both.
 */
export function httpGateway(
  handler: LambdaHandler,
  region: string,
  overloaded: () => string | undefined = () => undefined,
  localRoute: LocalRoute = () => undefined,
): RequestListener {
  let inFlight = 0;
  const refuse = (response: ServerResponse, status: number, code: string, message: string, retryAfterSeconds: number) => {
    response.writeHead(status, { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) });
    response.end(JSON.stringify({ code, message }));
  };
  return (request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxPayloadBytes && !refused) {
        refused = true;
        response.writeHead(413, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 'payload-too-large', message: `Request Entity Too Large: the limit is ${maxPayloadBytes} bytes` }));
      }
      if (!refused) chunks.push(chunk);
    });
    request.on('end', async () => {
      if (refused) return;
      let local: LocalReply | undefined;
      try {
        local = await localRoute(new URL(request.url ?? '/', 'http://localhost'), request.method ?? 'GET', request.headers, Buffer.concat(chunks));
      } catch (error) {
        local = {
          status: 500,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ code: 'internal-error', message: (error as Error).message }),
        };
      }
      if (local !== undefined) {
        try {
          response.writeHead(local.status, local.headers);
          response.end(local.body ?? '');
        } catch (error) {
          // A header Node will not send (a character outside Latin-1) is the runtime's bug, never a crash.
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ code: 'internal-error', message: (error as Error).message }));
        }
        return;
      }
      const pressure = overloaded();
      if (pressure !== undefined) return refuse(response, 503, 'overloaded', `Nudge is catching up (${pressure}); please retry shortly`, 5);
      if (inFlight >= maxConcurrentRequests) return refuse(response, 429, 'throttled', 'Too many requests at once; please retry shortly', 1);
      inFlight++;
      try {
        const result = (await handler(
          toEvent(request, Buffer.concat(chunks)),
          lambdaContext('nudge-intake', 29_000, region),
        )) as APIGatewayProxyStructuredResultV2;
        response.writeHead(result.statusCode ?? 200, result.headers as Record<string, string>);
        response.end(result.body ?? '');
      } catch {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ code: 'internal-error', message: 'Internal Server Error' }));
      } finally {
        inFlight--;
      }
    });
  };
}

/**
 * The gateway's server, listening at once (port 0: a free one), before the services behind it
 * load: their links name its port, and a port picked and let go first may be taken meanwhile. Until
 * `serve` gives it the gateway, it answers 503 with Retry-After, as a starting service does.
 */
export async function listeningGateway(port: number): Promise<{ readonly server: Server; readonly port: number; serve(listener: RequestListener): void }> {
  let current: RequestListener = (_request, response) => {
    response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
    response.end(JSON.stringify({ code: 'starting', message: 'Nudge is starting; please retry shortly' }));
  };
  const server = createServer((request, response) => current(request, response));
  // A sender that stops sending mid-body (a Content-Length larger than the body) gets a 408, not silence.
  server.requestTimeout = 30_000;
  return {
    server,
    port: await listen(server, port),
    serve: (listener) => {
      current = listener;
    },
  };
}

/** Listens on 127.0.0.1 (port 0: a free one) and answers the port it got. */
export async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolveListen());
  });
  return (server.address() as AddressInfo).port;
}
