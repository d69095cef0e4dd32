import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { localRegion, localTableName } from '../local/runtime.js';
import { withMeteredRuntime } from './capacity-meter.js';
import { startRequestMeter } from './request-meter.js';
import { shopifyOrder, shopifyRequest, shopRequests } from './shop-requests.js';

export interface LoadStep {
  /** Orders per second asked for, and sent. */
  readonly rate: number;
  readonly sent: number;
  /** Answered other than 200 (refused under load: the platform retries them). */
  readonly refused: number;
  /** Orders whose thank-you email reached SES by the end of the wait. */
  readonly emailed: number;
  readonly p50Millis: number;
  readonly p99Millis: number;
  /** Every order answered 200 and emailed, with p99 within `heldP99Millis`: the runtime kept up instead of building a backlog. */
  readonly held: boolean;
}

export interface LoadFigures {
  readonly steps: readonly LoadStep[];
  readonly seconds: number;
  /** DynamoDB Local's own latency in the same run (GetItem, one at a time): the local floor. */
  readonly dynamoDbP50Millis: number;
  readonly dynamoDbP99Millis: number;
}

const percentile = (sorted: readonly number[], share: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * share))] ?? Number.NaN;

/** The p99 a rate must keep to count as held: beyond it, emails are queueing faster than they go out. */
export const heldP99Millis = 5000;

/** How long after the last order of a step its emails may still arrive, and still count. */
const drainMillis = 20_000;

/**
 * Webhook → email on the local runtime at a steady rate: Shopify `orders/create` webhooks from new
 * customers, each answered with the thank-you email (transactional: no quiet hours), sent at
 * `rate` per second for `seconds`, rate after rate until one is not held. Latency: from sending the
 * webhook to dispatch's SendEmail reaching the SES emulator.
 */
export async function measureLoad(projectDir: string, rates: readonly number[] = [2, 5, 10, 20, 40, 80], seconds = 10): Promise<LoadFigures> {
  let ses: Awaited<ReturnType<typeof startRequestMeter>> | undefined;
  return withMeteredRuntime(
    projectDir,
    async (runtime) => {
      if (ses === undefined) throw new Error('The SES meter did not start');
      const emails = ses.requests;
      const dynamoDb = await dynamoDbLatency(runtime.dynamoDbUrl);
      const send = shopRequests(runtime);
      const steps: LoadStep[] = [];
      let sequence = 0;
      for (const rate of rates) {
        emails.length = 0;
        const sentAt = new Map<string, number>();
        const answers: Promise<number>[] = [];
        const total = rate * seconds;
        const started = performance.now();
        for (let index = 0; index < total; index++) {
          // Steady: each order at its own time from the start, whatever the previous one did.
          const due = started + (index * 1000) / rate;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const email = `load-${++sequence}@example.com`;
          sentAt.set(email, performance.now());
          answers.push(send.deliver(shopifyRequest('orders/create', shopifyOrder(email, sequence, send.now()))));
        }
        const statuses = await Promise.all(answers);
        const deadline = performance.now() + drainMillis;
        const emailed = () => emails.filter((request) => request.operation === 'SESv2.SendEmail').length;
        while (emailed() < total && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        const latencies = emails
          .filter((request) => request.operation === 'SESv2.SendEmail')
          .flatMap((request) => {
            const to = (JSON.parse(request.body) as { Destination?: { ToAddresses?: string[] } }).Destination?.ToAddresses?.[0] ?? '';
            const at = sentAt.get(/<([^>]+)>/.exec(to)?.[1] ?? to);
            return at === undefined ? [] : [request.at - at];
          })
          .sort((a, b) => a - b);
        const refused = statuses.filter((status) => status !== 200).length;
        const step = {
          rate,
          sent: total,
          refused,
          emailed: latencies.length,
          p50Millis: percentile(latencies, 0.5),
          p99Millis: percentile(latencies, 0.99),
          held: refused === 0 && latencies.length === total && percentile(latencies, 0.99) <= heldP99Millis,
        };
        steps.push(step);
        await runtime.idle();
        if (!step.held) break;
      }
      return { steps, seconds, dynamoDbP50Millis: dynamoDb.p50, dynamoDbP99Millis: dynamoDb.p99 };
    },
    {
      sesFront: async (endpoint) => {
        ses = await startRequestMeter(endpoint);
        return ses;
      },
    },
  );
}

/** GetItem on DynamoDB Local with the real client, one at a time: what each call costs the functions here at least. */
async function dynamoDbLatency(endpoint: string): Promise<{ p50: number; p99: number }> {
  const client = awsClients.dynamoDb({ endpoint, region: localRegion });
  const get = () => client.send(new GetItemCommand({ TableName: localTableName, Key: { pk: { S: 'BENCH#LATENCY' }, sk: { S: 'NONE' } } }));
  for (let index = 0; index < 50; index++) await get();
  const times: number[] = [];
  for (let index = 0; index < 500; index++) {
    const started = performance.now();
    await get();
    times.push(performance.now() - started);
  }
  client.destroy();
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 0.5), p99: percentile(times, 0.99) };
}
