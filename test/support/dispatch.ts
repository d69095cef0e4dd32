import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DispatchPolicy } from '#services/dispatch/core/gate.js';
import type { MessageRequested } from '#shared/events/message-requested.js';
import * as MessageRequestedContract from '#shared/events/message-requested.js';
import type { Profile } from '#shared/events/profile.js';
import { keys } from '#shared/table.js';
import { type LocalRuntime, localRegion, localTableName } from '../../local/runtime.js';

/** The policy the dispatch tests decide under: the shipped defaults, with one webhook endpoint. */
export const dispatchPolicy: DispatchPolicy = {
  consent: { email: 'not-unsubscribed', sms: 'subscribed' },
  caps: { perDay: 2, perWeek: 5 },
  quietHours: { from: '21:00', to: '08:00' },
  defaultTimeZone: 'UTC',
  sms: {},
  webhooks: { 'call-centre': { url: 'https://crm.example.com/tasks' } },
};

/** A marketing email request, as the rules service would ask for it. */
export function messageRequest(messageId: string, profile: Profile, overrides: Partial<MessageRequested> = {}): MessageRequested {
  return {
    messageId,
    ruleId: 'win-back',
    profileId: profile.profileId,
    channel: 'email',
    template: 'win-back',
    purpose: 'marketing',
    holdoutPercent: 0,
    requestedAt: new Date().toISOString(),
    context: { profile, event: {} },
    ...overrides,
  };
}

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

/** Writes a person straight into the local table, as the profiles service stores them. */
export async function storeProfile(runtime: LocalRuntime, profile: Profile): Promise<Profile> {
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: runtime.dynamoDbUrl, region: localRegion, credentials }));
  await documents.send(new PutCommand({ TableName: localTableName, Item: { ...keys.profile(profile.profileId), profile, version: 1 } }));
  return profile;
}

/**
 * A person with an email, stored as the profiles service stores them. `raw` fields go in as they
 * are, unchecked, so a test can store what an older or broken writer left.
 */
export function storedPerson(runtime: LocalRuntime, profileId: string, email: string, raw: Record<string, unknown> = {}): Promise<Profile> {
  return storeProfile(runtime, {
    profileId,
    email,
    firstName: 'Kim',
    orderCount: 1,
    revenue: {},
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-11-01T00:00:00.000Z',
    traitsAt: {},
    ...raw,
  } as Profile);
}

/** Puts message requests on the local bus, as the rules service does, and waits until they are handled. */
export async function putRequests(runtime: LocalRuntime, ...requests: MessageRequested[]): Promise<void> {
  const bus = new EventBridgeClient({ endpoint: runtime.awsUrl, region: localRegion, credentials });
  await bus.send(
    new PutEventsCommand({
      Entries: requests.map((detail) => ({
        EventBusName: 'nudge',
        Source: MessageRequestedContract.source,
        DetailType: MessageRequestedContract.detailType,
        Detail: JSON.stringify(detail),
      })),
    }),
  );
  await runtime.idle();
}

/** What dispatch decided about a message (not what SES later reported about the email). */
export const dispatchDecisions = new Set(['message.sent', 'message.suppressed', 'message.deferred', 'message.failed']);
