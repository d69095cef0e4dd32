import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { MessageRequested } from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { addressHash } from '#shared/suppression.js';
import { keys } from '#shared/table.js';
import { lambdaContext } from '../../local/lambda-context.js';
import { localRegion, localTableName } from '../../local/runtime.js';
import { dispatchDecisions, messageRequest, putRequests, storedPerson } from '../support/dispatch.js';
import { fixturesDir } from '../support/fixtures.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';

/** Dispatch on the local runtime: requests put straight on the bus, people written straight into the table. */
describe('dispatch: the send gate and the send-once ledger', () => {
  let runtime: TestRuntime;
  let documents: DynamoDBDocumentClient;
  const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

  beforeAll(async () => {
    runtime = await startTestRuntime();
    documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: localRegion, credentials }));
    await clearInbox(runtime);
  });

  afterAll(async () => {
    await runtime?.stop();
  });

  const person = (profileId: string, email: string, extra: Partial<Profile> = {}) => storedPerson(runtime, profileId, email, extra);
  const request = (messageId: string, profile: Profile) => messageRequest(messageId, profile);
  const put = (...requests: MessageRequested[]) => putRequests(runtime, ...requests);
  const outcomes = (messageId: string) =>
    runtime
      .busLog()
      .filter((event) => dispatchDecisions.has(event['detail-type']) && event.detail.messageId === messageId)
      .map((event) => [event['detail-type'], event.detail.reason]);
  const mailTo = async (address: string) => (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes(address)));

  it('sends a message once however often it is requested, at once or later', async () => {
    const kim = await person('p-kim', 'kim@example.com');
    await put(request('msg-once', kim), request('msg-once', kim), request('msg-once', kim));
    await put(request('msg-once', kim));
    expect(await mailTo('kim@')).toHaveLength(1);
    expect(outcomes('msg-once')).toEqual([['message.sent', undefined]]);
  });

  it('reads consent when it sends, not when the rule fired: an unsubscribe in between wins', async () => {
    const snapshot = await person('p-lee', 'lee@example.com');
    await person('p-lee', 'lee@example.com', { consent: { email: { state: 'unsubscribed', at: '2026-11-20T00:00:00.000Z', source: 'nudge' } } });
    await put(request('msg-lee', snapshot));
    expect(await mailTo('lee@')).toHaveLength(0);
    expect(outcomes('msg-lee')).toEqual([['message.suppressed', 'unsubscribed']]);
  });

  it('never mails a suppressed address, even a transactional message', async () => {
    const max = await person('p-max', 'max@example.com');
    await documents.send(
      new PutCommand({ TableName: localTableName, Item: { ...keys.suppression('email', addressHash('email', 'max@example.com')), reason: 'bounce' } }),
    );
    await put({ ...request('msg-max', max), purpose: 'transactional' });
    expect(await mailTo('max@')).toHaveLength(0);
    expect(outcomes('msg-max')).toEqual([['message.suppressed', 'suppressed']]);
  });

  it('caps marketing messages per person across rules', async () => {
    const ada = await person('p-ada', 'ada@example.com');
    for (const id of ['msg-ada-1', 'msg-ada-2', 'msg-ada-3']) await put({ ...request(id, ada), ruleId: id });
    expect(await mailTo('ada@')).toHaveLength(2);
    expect(outcomes('msg-ada-3')).toEqual([['message.suppressed', 'frequency-cap']]);
  });

  it('fails a request for a template that does not exist at once, as message.failed with the reason, without retries or dead letters', async () => {
    const eve = await person('p-eve', 'eve@example.com');
    await put({ ...request('msg-eve', eve), template: 'no-such-template' });
    const failed = runtime.busLog().filter((entry) => entry['detail-type'] === 'message.failed' && entry.detail.messageId === 'msg-eve');
    expect(failed.map((entry) => entry.detail.error)).toEqual([{ code: 'TemplateMissing', message: 'No template named no-such-template' }]);
    expect(
      existsSync(join(runtime.dataDir, 'dlq', 'dispatch.ndjson')) ? readFileSync(join(runtime.dataDir, 'dlq', 'dispatch.ndjson'), 'utf8') : '',
    ).not.toContain('msg-eve');
    expect(await mailTo('eve@')).toHaveLength(0);
  });

  it('suppresses an address when SES reports a hard bounce for it, and reports message.bounced', async () => {
    const bounced = await person('p-bob', 'bob@example.com');
    const event = JSON.parse(readFileSync(join(fixturesDir, 'ses', 'email-bounced.json'), 'utf8')) as {
      detail: { bounce: { bouncedRecipients: { emailAddress: string }[] }; mail: { tags: Record<string, string[]> } };
    };
    event.detail.bounce.bouncedRecipients = [{ emailAddress: 'bob@example.com' }];
    event.detail.mail.tags.profileId = ['p-bob'];
    const { handler } = await import('#services/dispatch/ses-feedback.js');
    await handler(event, lambdaContext('nudge-feedback', 30_000, localRegion));
    await runtime.idle();
    expect(
      runtime
        .busLog()
        .filter((entry) => entry['detail-type'] === 'message.bounced')
        .map((entry) => entry.detail.profileId),
    ).toEqual(['p-bob']);
    await put(request('msg-bob', bounced));
    expect(await mailTo('bob@')).toHaveLength(0);
    expect(outcomes('msg-bob')).toEqual([['message.suppressed', 'suppressed']]);
  });
});
