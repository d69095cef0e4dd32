import { type ClientRequest, createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request that passed the meter: which operation, and how many bytes went up. */
export interface MeteredRequest {
  /** `AWSEvents.PutEvents`, `secretsmanager.GetSecretValue`, `Scheduler.CreateSchedule`, `SESv2.SendEmail`, … */
  readonly operation: string;
  readonly bytes: number;
  /** The request body as sent (JSON protocols), for the operations whose price depends on it. */
  readonly body: string;
  /** When it arrived (performance.now()). */
  readonly at: number;
}

/** The operation a request names: the JSON protocol's X-Amz-Target, else a REST API's method and path. */
function operationOf(method: string, url: string, target: string | undefined): string {
  if (target) return target;
  if (url.startsWith('/schedules/'))
    return `Scheduler.${{ POST: 'CreateSchedule', DELETE: 'DeleteSchedule', GET: 'GetSchedule', PUT: 'UpdateSchedule' }[method] ?? method}`;
  if (url.startsWith('/v2/email/outbound-emails')) return 'SESv2.SendEmail';
  return `${method} ${url.split('?')[0]}`;
}

/**
 * A pass-through in front of a local AWS endpoint that records every request, so a benchmark
 * can price what the unchanged services call (EventBridge, Scheduler, SQS, Secrets Manager, SES).
 */
export async function startRequestMeter(target: string): Promise<{ endpoint: string; requests: MeteredRequest[]; stop(): Promise<void> }> {
  const requests: MeteredRequest[] = [];
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const target = incoming.headers['x-amz-target'];
      requests.push({
        operation: operationOf(incoming.method ?? 'GET', incoming.url ?? '/', Array.isArray(target) ? target[0] : target),
        bytes: body.length,
        body: body.toString('utf8'),
        at: performance.now(),
      });
      const forward = httpRequest(
        { host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host } },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 500, response.headers);
          response.pipe(outgoing);
        },
      );
      sendOn(forward, body, outgoing);
    });
  });
  return { ...(await listenOnLoopback(server)), requests };
}

/** Sends a request's body upstream; if upstream cannot be reached, the caller gets a 502 that says why. */
export function sendOn(forward: ClientRequest, body: Buffer, outgoing: ServerResponse): void {
  forward.on('error', (error) => {
    outgoing.writeHead(502);
    outgoing.end(String(error));
  });
  forward.end(body);
}

/** Listens on a free loopback port: the endpoint, and how to stop (the runtime's `*Front` options take both). */
export async function listenOnLoopback(server: Server): Promise<{ readonly endpoint: string; stop(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
