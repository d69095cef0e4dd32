import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readDeadLetters } from '../../local/event-bus.js';
import { nudgeAsync } from '../support/cli.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

// What no retry can mend goes to the consumer's dead letters at once, with the reason, through
// the real SQS client (the local endpoint serves SendMessage); nothing waits for the platform's
// retries, and nothing else is held up meanwhile.
let runtime: TestRuntime;
let bus: EventBridgeClient;

beforeAll(async () => {
  runtime = await startTestRuntime();
  bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
}, 60_000);
afterAll(() => runtime?.stop());

const put = (source: string, detailType: string, detail: unknown) =>
  bus.send(new PutEventsCommand({ Entries: [{ EventBusName: 'nudge', Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));

const eventIdsIn = (consumer: Parameters<typeof readDeadLetters>[1]) =>
  readDeadLetters(runtime.dataDir, consumer).map((letter) => ({ error: letter.error, detail: letter.event.detail as Record<string, unknown> }));

describe('permanent failures', () => {
  // An event that names no person: test/integration/profiles.test.ts.

  it('dead-letters a profile.updated that breaks its contract at once, in every consumer that reads it', async () => {
    // It matches both consumers' filters (an order), so both receive it.
    await put('nudge.profiles', 'profile.updated', { eventId: 'ev_broken_update', profileId: 42, trigger: { 'detail-type': 'order.completed' } });
    await runtime.idle();
    for (const consumer of ['rules', 'measurement'] as const) {
      expect(eventIdsIn(consumer)).toContainEqual({
        error: expect.stringContaining('Invalid profile.updated detail'),
        detail: expect.objectContaining({ eventId: 'ev_broken_update' }),
      });
    }
  });

  it('dead-letters an event of a contract version newer than the consumer reads, to be redriven once it is deployed', async () => {
    await put('nudge.scheduler', 'timer.fired', { kind: 'recurring', ruleId: 'from-the-future', dueAt: '2026-11-30T08:00:00Z', contractVersion: 2 });
    await runtime.idle();
    expect(eventIdsIn('rules')).toContainEqual({
      error: expect.stringContaining('timer.fired is contract version 2, newer than this consumer reads (1)'),
      detail: expect.objectContaining({ ruleId: 'from-the-future' }),
    });
  });

  it('reports a request that can never be sent as message.failed, then dead-letters it with the reason', async () => {
    const ref = { messageId: 'msg_broken_request', ruleId: 'welcome', profileId: 'p_broken', channel: 'email', template: 'welcome' };
    // The reference is whole; the rest breaks the contract (no time, no context).
    await put('nudge.rules', 'message.requested', { ...ref, requestedAt: 'yesterday' });
    await runtime.idle();
    const failed = runtime.busLog().filter((event) => event['detail-type'] === 'message.failed' && event.detail.messageId === ref.messageId);
    expect(failed).toEqual([
      expect.objectContaining({
        detail: expect.objectContaining({ ...ref, error: { code: 'InvalidRequest', message: expect.stringContaining('requestedAt') } }),
      }),
    ]);
    expect(eventIdsIn('dispatch')).toContainEqual({
      error: expect.stringContaining('Invalid message.requested detail'),
      detail: expect.objectContaining({ messageId: ref.messageId }),
    });
  });

  it('keeps a request of a newer contract for redrive without reporting it failed', async () => {
    const ref = { messageId: 'msg_from_the_future', ruleId: 'welcome', profileId: 'p_future', channel: 'email', template: 'welcome' };
    await put('nudge.rules', 'message.requested', { ...ref, requestedAt: '2026-11-28T00:00:00.000Z', contractVersion: 2 });
    await runtime.idle();
    expect(runtime.busLog().filter((event) => event['detail-type'] === 'message.failed' && event.detail.messageId === ref.messageId)).toEqual([]);
    expect(eventIdsIn('dispatch')).toContainEqual({ error: expect.stringContaining('newer than this consumer reads'), detail: expect.objectContaining(ref) });
  });

  it('takes only bus events into a local dead-letter queue, so a listing and a redrive never meet anything else', async () => {
    const sqs = new SQSClient({ endpoint: runtime.awsUrl, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    const queueUrl = `${runtime.awsUrl}/000000000000/nudge-profiles-dead-letters`;
    const before = readDeadLetters(runtime.dataDir, 'profiles').length;
    for (const body of ['null', '42', '{}', '{"detail":null}', 'not json']) {
      await expect(sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }))).rejects.toThrow(/must be one/);
    }
    // A queue of another host is not one of this runtime's (asked directly: the SDK would go to that host).
    const elsewhere = await fetch(runtime.awsUrl, {
      method: 'POST',
      headers: { 'x-amz-target': 'AmazonSQS.SendMessage', 'content-type': 'application/x-amz-json-1.0' },
      body: JSON.stringify({ QueueUrl: 'http://elsewhere.example/000000000000/nudge-profiles-dead-letters', MessageBody: '{}' }),
    });
    expect(elsewhere.status).toBe(400);
    expect(readDeadLetters(runtime.dataDir, 'profiles')).toHaveLength(before);
    // The runtime is still up and listing works.
    expect((await fetch(`${runtime.awsUrl}/_local/status`)).status).toBe(200);
    expect(await nudgeAsync('dead-letters', 'list', '--data-dir', runtime.dataDir, '--endpoint', runtime.awsUrl)).toMatchObject({ status: 0 });
  });

  it('the local AWS endpoint serves only its own operations, never an inherited one', async () => {
    for (const target of ['constructor', 'toString', '__proto__']) {
      const response = await fetch(runtime.awsUrl, { method: 'POST', headers: { 'x-amz-target': target }, body: '{}' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
    }
  });
});
