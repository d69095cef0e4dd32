import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadProject } from '#project/load-project.js';
import { ProfileStore } from '#services/profiles/adapters/profile-store.js';
import type { CustomerEvent } from '#services/profiles/core/apply-event.js';
import { recordAnnounced, updateProfile } from '#services/profiles/update-profile.js';
import { ensureTable, startDynamoDbLocal } from '../local/dynamodb-local.js';
import { quietFreePort } from '../local/ports.js';
import { startCapacityMeter } from './capacity-meter.js';

export interface CapacityFigure {
  readonly step: string;
  readonly read: number;
  readonly write: number;
  /** The same calls priced by DynamoDB's published rules: what AWS bills. */
  readonly billedRead: number;
  readonly billedWrite: number;
  /** The profile item's size as DynamoDB bills it (1 WCU per KB written). */
  readonly profileBytes: number;
}

const identity = { email: 'ada@example.com', customerId: 'shopify:7001' };
const items = [
  { productId: '632910392', sku: 'IPOD2008PINK', name: 'IPod Nano - 8GB', quantity: 1, price: { amount: '199.00', currency: 'USD' } },
  { productId: '632910393', sku: 'CASE-RED', name: 'Leather case', quantity: 2, price: { amount: '24.99', currency: 'USD' } },
];

/** A customer's usual path, each step as profiles applies it: capacity units DynamoDB reports (ReturnConsumedCapacity). */
const journey: readonly [string, string, Record<string, unknown>, Partial<CustomerEvent['detail']>][] = [
  ['product.viewed (new person, anonymous)', 'product.viewed', { productId: '632910392' }, { identity: { anonymousId: 'browser-1' } }],
  ['product.viewed (known person)', 'product.viewed', { productId: '632910393' }, { identity: { anonymousId: 'browser-1' } }],
  [
    'checkout.started (gives the browser an email and a customer id)',
    'checkout.started',
    { checkoutId: 'c1', cartId: 'k1', items },
    { identity: { ...identity, anonymousId: 'browser-1' } },
  ],
  [
    'order.completed (first order, new order key)',
    'order.completed',
    { orderId: '9001', total: { amount: '248.98', currency: 'USD' }, items },
    { identity: { ...identity, orderRef: 'shopify:9001' } },
  ],
  [
    'order.completed (repeat customer)',
    'order.completed',
    { orderId: '9002', total: { amount: '49.98', currency: 'USD' }, items },
    { identity: { ...identity, orderRef: 'shopify:9002' } },
  ],
  ['consent.changed', 'consent.changed', { channel: 'email', state: 'subscribed' }, { identity }],
];

/** Runs one customer's journey through the real profiles code on DynamoDB Local and reads what each step consumed. */
export async function measureProfileCapacity(): Promise<CapacityFigure[]> {
  const dynamo = await startDynamoDbLocal({ port: await quietFreePort(), dataDir: undefined });
  try {
    await ensureTable(dynamo.endpoint, 'nudge-bench');
    // Metered in front of DynamoDB Local, so the store is the production one, unchanged.
    const meter = await startCapacityMeter(dynamo.endpoint);
    const client = new DynamoDBClient({ endpoint: meter.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
    const store = new ProfileStore(client, 'nudge-bench');
    const total = (kind: 'read' | 'write', field: 'units' | 'billed') =>
      meter.calls.filter((call) => call.kind === kind).reduce((sum, call) => sum + call[field], 0);
    const capacity = () => ({
      read: total('read', 'units'),
      write: total('write', 'units'),
      billedRead: total('read', 'billed'),
      billedWrite: total('write', 'billed'),
    });
    const config = loadProject(`${import.meta.dirname}/..`, { checks: 'run' }).profiles;
    const figures: CapacityFigure[] = [];
    for (const [index, [step, detailType, properties, extra]] of journey.entries()) {
      const occurredAt = new Date(Date.UTC(2026, 10, 1, 10, index)).toISOString();
      const event: CustomerEvent = {
        detailType,
        detail: { eventId: `bench-${index}`, occurredAt, identity: {}, traits: { firstName: 'Ada' }, properties, ...extra },
      };
      const { read, write, billedRead, billedWrite } = capacity();
      const outcome = await updateProfile(store, event, config, Date.now(), `bench-delivery-${index}`);
      // As the profiles function does after publishing: the marker written (a known person's change), or marked announced.
      await recordAnnounced(store, outcome, detailType, event.detail.eventId);
      const profileBytes = outcome.kind === 'applied' ? Buffer.byteLength(JSON.stringify(outcome.profile)) : 0;
      const after = capacity();
      figures.push({
        step,
        read: after.read - read,
        write: after.write - write,
        billedRead: after.billedRead - billedRead,
        billedWrite: after.billedWrite - billedWrite,
        profileBytes,
      });
    }
    client.destroy();
    await meter.stop();
    return figures;
  } finally {
    await dynamo.stop();
  }
}
