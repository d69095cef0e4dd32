import { createServer, request as httpRequest, type Server } from 'node:http';
import type { SQSEvent } from 'aws-lambda';
import type { MessageRequested } from '#shared/events/message-requested.js';
import * as MessageRequestedContract from '#shared/events/message-requested.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { localRegion } from '../../local/runtime.js';
import { dispatchDecisions, messageRequest, putRequests, storedPerson } from '../support/dispatch.js';
import { serveOnLoopback } from '../support/dynamodb-front.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/**
 * In front of the SES emulator: passes requests on, and for the people in `loseAnswerFor` lets SES
 * take the email and then cuts the connection before its answer reaches Nudge (the worst case
 * for "at most once"). Counts every SendEmail call it sees.
 */
function lossySes(target: string, loseAnswerFor: Set<string>): { server: Server; calls: string[] } {
  const calls: string[] = [];
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks);
      const to = /"ToAddresses":\["([^"]+)"/.exec(body.toString('utf8'))?.[1];
      if (to !== undefined) calls.push(to);
      const forward = httpRequest(`${target}${incoming.url}`, { method: incoming.method, headers: incoming.headers }, (answer) => {
        const answerChunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
        answer.on('end', () => {
          if (to !== undefined && loseAnswerFor.delete(to)) {
            outgoing.socket?.destroy();
            return;
          }
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          outgoing.end(Buffer.concat(answerChunks));
        });
      });
      forward.end(body);
    });
  });
  return { server, calls };
}

describe('dispatch under failure and concurrency, on the local runtime', () => {
  let runtime: TestRuntime;
  const loseAnswerFor = new Set<string>();
  let ses: ReturnType<typeof lossySes> | undefined;

  beforeAll(async () => {
    runtime = await startTestRuntime({
      sesFront: async (endpoint) => {
        ses = lossySes(endpoint, loseAnswerFor);
        return serveOnLoopback(ses.server);
      },
    });
    await clearInbox(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const person = (profileId: string, email: string, raw: Record<string, unknown> = {}) => storedPerson(runtime, profileId, email, raw);
  const mailTo = async (address: string) => (await inbox(runtime)).filter((email) => email.destination.to.includes(address));
  const outcomes = (messageId: string) =>
    runtime
      .busLog()
      .filter((event) => dispatchDecisions.has(event['detail-type']) && event.detail.messageId === messageId)
      .map((event) => [event['detail-type'], event.detail.reason ?? (event.detail.error as { code?: string } | undefined)?.code]);

  /** A request as the dispatch queue hands it over: the bus event in an SQS record. */
  const record = (request: MessageRequested) => ({
    messageId: request.messageId,
    body: JSON.stringify({
      version: '0',
      id: `bus-${request.messageId}`,
      'detail-type': MessageRequestedContract.detailType,
      source: MessageRequestedContract.source,
      account: '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: localRegion,
      resources: [],
      detail: request,
    }),
  });

  it('calls SES once when its answer is lost, so the SDK never sends a second email below the ledger', async () => {
    const noor = await person('p-noor', 'noor@example.com');
    loseAnswerFor.add('noor@example.com');
    await putRequests(runtime, messageRequest('msg-noor', noor));
    expect(ses?.calls.filter((to) => to === 'noor@example.com')).toEqual(['noor@example.com']);
    expect(await mailTo('noor@example.com')).toHaveLength(1);
    // The outcome is unknown: nothing is announced as sent, and the ledger keeps the claim.
    expect(outcomes('msg-noor')).toEqual([]);
  });

  it('reports a send still in progress as a failure of its own batch while other batches run beside it, so it is received again', async () => {
    // A send whose answer was lost holds its claim for 5 minutes: a copy meanwhile must come back later.
    const ned = await person('p-ned', 'ned@example.com');
    loseAnswerFor.add('ned@example.com');
    await putRequests(runtime, messageRequest('msg-ned', ned));
    const { handler } = await import('#services/dispatch/handler.js');
    const others = await Promise.all([1, 2, 3, 4].map((index) => person(`p-side-${index}`, `side-${index}@example.com`)));
    const batches = [[messageRequest('msg-ned', ned)], ...others.map((other, index) => [messageRequest(`msg-side-${index}`, other)])];
    const results = await Promise.all(
      batches.map((requests) => handler({ Records: requests.map(record) } as unknown as SQSEvent, lambdaContext('nudge-dispatch', 30_000, localRegion))),
    );
    expect(results).toEqual([{ batchItemFailures: [{ itemIdentifier: 'msg-ned' }] }, ...others.map(() => ({ batchItemFailures: [] }))]);
    await runtime.idle();
    for (const index of [1, 2, 3, 4]) expect(await mailTo(`side-${index}@example.com`)).toHaveLength(1);
  });

  it('keeps the frequency cap when six requests for one person arrive at the same instant', async () => {
    const ida = await person('p-ida', 'ida@example.com');
    const { handler } = await import('#services/dispatch/handler.js');
    // Six pollers, each with a batch of one: what the queue does when it is busy.
    const requests = Array.from({ length: 6 }, (_, index) => ({ ...messageRequest(`msg-ida-${index}`, ida), ruleId: `rule-${index}` }));
    const results = await Promise.all(
      requests.map((request) => handler({ Records: [record(request)] } as unknown as SQSEvent, lambdaContext('nudge-dispatch', 30_000, localRegion))),
    );
    expect(results).toEqual(requests.map(() => ({ batchItemFailures: [] })));
    await runtime.idle();
    // The policy's cap is 2 a day (config/dispatch.json).
    expect(await mailTo('ida@example.com')).toHaveLength(2);
    const decided = requests.flatMap((request) => outcomes(request.messageId));
    expect(decided.filter(([type]) => type === 'message.sent')).toHaveLength(2);
    expect(decided.filter(([type, reason]) => type === 'message.suppressed' && reason === 'frequency-cap')).toHaveLength(4);
  });

  it('still emails a person whose locale came in as text that is not a locale, with amounts in English', async () => {
    const ola = await person('p-ola', 'ola@example.com', { locale: 'not a locale!!' });
    await putRequests(runtime, {
      ...messageRequest('msg-ola', ola),
      template: 'thank-you',
      purpose: 'transactional',
      context: { profile: ola, event: { properties: { orderNumber: '#1001', total: { amount: '12.50', currency: 'EUR' }, items: [] } } },
    });
    const [email] = await mailTo('ola@example.com');
    expect(email?.body.html).toContain('€12.50');
    expect(outcomes('msg-ola')).toEqual([['message.sent', undefined]]);
  });

  it('ends a message its template cannot render at once as message.failed with the reason, with no retries', async () => {
    const uma = await person('p-uma', 'uma@example.com');
    await putRequests(runtime, { ...messageRequest('msg-uma', uma), channel: 'email', template: 'store-nearby-sms' });
    expect(outcomes('msg-uma')).toEqual([['message.failed', 'TemplateChannelMismatch']]);
    expect(await mailTo('uma@example.com')).toHaveLength(0);
  });
});
