import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { signTask } from '#services/dispatch/adapters/webhook-sender.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { keys } from '#shared/table.js';
import { localRegion, localTableName } from '../../local/runtime.js';
import { dispatchDecisions, messageRequest, putRequests } from '../support/dispatch.js';
import { startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** SMS and webhook tasks behind the same gate, recorded by the local runtime where a user can read them. */
describe('SMS and webhook channels', () => {
  let runtime: TestRuntime;
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
  const consented = { sms: { state: 'subscribed' as const, at: '2026-11-01T00:00:00.000Z', source: 'shopify' } };

  beforeAll(async () => {
    runtime = await startTestRuntime({ webhooks: ['call-centre'] });
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const person = async (profileId: string, extra: Partial<Profile>): Promise<Profile> => {
    const profile: Profile = {
      profileId,
      email: `${profileId}@example.com`,
      firstName: 'Ana',
      orderCount: 3,
      revenue: {},
      firstSeenAt: '2026-01-01T00:00:00.000Z',
      lastSeenAt: '2026-11-01T00:00:00.000Z',
      traitsAt: {},
      ...extra,
    };
    const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: localRegion, credentials }));
    await documents.send(new PutCommand({ TableName: localTableName, Item: { ...keys.profile(profileId), profile, version: 1 } }));
    return profile;
  };
  const put = (request: MessageRequested) => putRequests(runtime, request);
  const request = (messageId: string, profile: Profile, overrides: Partial<MessageRequested>) =>
    messageRequest(messageId, profile, { ruleId: 'store-nearby', channel: 'sms', template: 'store-nearby-sms', ...overrides });
  const lines = (file: string) =>
    existsSync(join(runtime.dataDir, file))
      ? readFileSync(join(runtime.dataDir, file), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Record<string, unknown>)
      : [];
  const outcome = (messageId: string) =>
    runtime
      .busLog()
      .filter((event) => dispatchDecisions.has(event['detail-type']) && event.detail.messageId === messageId)
      .map((event) => [event['detail-type'], event.detail.reason]);

  it('texts a person who opted in to SMS, once, and not one who did not', async () => {
    const ana = await person('ana', { phone: '+4915112345678', consent: consented });
    const ben = await person('ben', { phone: '+4915187654321' });
    await put(request('sms-ana', ana, {}));
    await put(request('sms-ana', ana, {}));
    await put(request('sms-ben', ben, {}));
    const texts = lines('sms.ndjson');
    expect(texts.map((text) => [text.DestinationPhoneNumber, text.MessageType])).toEqual([['+4915112345678', 'PROMOTIONAL']]);
    expect(String(texts[0]?.MessageBody)).toContain('Ana, you are steps from our Berlin store');
    expect(outcome('sms-ana')).toEqual([['message.sent', undefined]]);
    expect(outcome('sms-ben')).toEqual([['message.suppressed', 'no-consent']]);
  });

  it('posts a signed task to the named webhook endpoint', async () => {
    const cleo = await person('cleo', { phone: '+4915100000000', lastProductViewed: { productId: 'p1', name: 'Red dress', at: '2026-11-20T10:00:00.000Z' } });
    await put(request('task-cleo', cleo, { channel: 'webhook', webhook: 'call-centre', template: 'call-centre-task', ruleId: 'call-centre' }));
    const [task] = lines('webhooks.ndjson');
    expect(task?.endpoint).toBe('call-centre');
    const body = JSON.parse(String(task?.body)) as { messageId: string; text: string };
    expect(body).toMatchObject({ messageId: 'task-cleo', ruleId: 'call-centre', profileId: 'cleo' });
    expect(body.text).toContain('Call Ana (+4915100000000): 3 orders so far, looked at Red dress');
    const key = readFileSync(join(runtime.dataDir, 'outgoing-webhook-key.txt'), 'utf8');
    const timestamp = Number(/t=(\d+)/.exec(String(task?.signature))?.[1]);
    expect(task?.signature).toBe(signTask(key, String(task?.body), timestamp));
    expect(outcome('task-cleo')).toEqual([['message.sent', undefined]]);
  });
});
