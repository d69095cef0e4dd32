import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import type { Profile } from '#shared/events/profile.js';
import { keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { type LocalRuntime, localRegion, localTableName } from '../../local/runtime.js';

/** A deterministic random source (mulberry32), the benchmarks' own, so a generated scenario is the same on every run. */
export { random as seededRandom } from '../../bench/random.js';

export const personProfile = (profileId: string): Profile =>
  ({
    profileId,
    email: `${profileId}@example.com`,
    orderCount: 0,
    revenue: {},
    firstSeenAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-11-01T00:00:00.000Z',
    traitsAt: {},
  }) as Profile;

/** Stores many people at once, as the profiles service stores them. */
export async function storeProfiles(runtime: LocalRuntime, profileIds: readonly string[]): Promise<void> {
  const documents = documentClient(localDynamoDb(runtime.dynamoDbUrl));
  for (let start = 0; start < profileIds.length; start += 8) {
    let requests: Record<string, unknown>[] = profileIds.slice(start, start + 8).flatMap((profileId) => {
      const email = `${profileId}@example.com`;
      return [
        { PutRequest: { Item: { ...keys.profile(profileId), profile: personProfile(profileId), version: 1 } } },
        { PutRequest: { Item: { ...keys.alias('email', email), profileId } } },
        { PutRequest: { Item: { ...keys.identity(profileId, 'email', email) } } },
      ];
    });
    while (requests.length > 0) {
      const result = await documents.send(new BatchWriteCommand({ RequestItems: { [localTableName]: requests as never } }));
      requests = (result.UnprocessedItems?.[localTableName] ?? []) as Record<string, unknown>[];
    }
  }
}

/** The detail of a profile update after an order (or a refund), as profiles publishes it. */
export function orderUpdate(
  profileId: string,
  order: { orderId: string; at: number; amount: string; currency?: string },
  refund?: { refundId: string; amount: string },
) {
  const occurredAt = new Date(order.at).toISOString();
  const base = {
    eventId: `ev_${refund ? refund.refundId : order.orderId}`,
    occurredAt,
    receivedAt: occurredAt,
    origin: { platform: 'shopify', shop: 'demo.myshopify.com', topic: refund ? 'refunds/create' : 'orders/create' },
    identity: { email: `${profileId}@example.com` },
    traits: {},
  };
  const money = (amount: string) => ({ amount, currency: order.currency ?? 'USD' });
  return {
    profileId,
    version: 2,
    changed: ['orderCount'],
    segments: { entered: [], left: [] },
    profile: personProfile(profileId),
    trigger: refund
      ? {
          source: 'nudge.intake',
          'detail-type': 'order.refunded',
          detail: { ...base, properties: { orderId: order.orderId, refundId: refund.refundId, amount: money(refund.amount) } },
        }
      : {
          source: 'nudge.intake',
          'detail-type': 'order.completed',
          detail: { ...base, properties: { orderId: order.orderId, total: money(order.amount), items: [] } },
        },
  };
}

/** An EventBridge envelope around a detail, as the bus hands events to a function. */
export function envelope(source: string, detailType: string, detail: unknown) {
  return {
    version: '0',
    id: `env-${Math.random().toString(36).slice(2)}`,
    'detail-type': detailType,
    source,
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: localRegion,
    resources: [],
    detail,
  };
}
