import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { DeliveryLedger } from '#services/intake/adapters/delivery-ledger.js';
import type { Decision, Delivery } from '#services/intake/core/request.js';
import { publishOnce } from '#services/intake/publish-once.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import type { Publication } from '#shared/adapters/bus-publisher.js';
import * as Events from '#shared/events/index.js';
import { deliveryLeaseMillis, deliveryRetentionSeconds, keys } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { answerLosingDynamoDbFront } from '../support/dynamodb-front.js';
import { freshTable, type TestTable } from '../support/table.js';

/**
 * Intake's promise that a platform's delivery reaches the bus once, on a real DynamoDB Local: a
 * retried or concurrent duplicate publishes nothing, a failed publish can be retried at once, a
 * crashed owner's claim lapses, and the SDK repeating a write that already happened is not a duplicate.
 */
const now = Date.parse('2026-11-29T10:00:00Z');
let table: TestTable;
let ledger: DeliveryLedger;
let serial = 0;
const id = () => `delivery-${++serial}-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  table = await freshTable();
  ledger = new DeliveryLedger(table.client, table.tableName);
});
afterAll(async () => {
  await table?.stop();
});

const stored = async (deliveryId: string) =>
  (await documentClient(table.client).send(new GetCommand({ TableName: table.tableName, Key: keys.delivery(deliveryId), ConsistentRead: true }))).Item;

describe('the delivery ledger', () => {
  it('claims a delivery once: a second claim while the first publishes is in progress, after it is done a duplicate', async () => {
    const delivery = id();
    expect(await ledger.claim(delivery, now)).toBe('claimed');
    expect(await stored(delivery)).toMatchObject({
      state: 'pending',
      leaseUntil: now + deliveryLeaseMillis,
      expiresAt: Math.floor(now / 1000) + deliveryRetentionSeconds,
    });
    expect(await ledger.claim(delivery, now + 1)).toBe('in-progress');
    await ledger.complete(delivery);
    const done = await stored(delivery);
    expect(done?.state).toBe('published');
    expect(done?.leaseUntil).toBeUndefined();
    expect(await ledger.claim(delivery, now + deliveryLeaseMillis + 1)).toBe('duplicate');
  });

  it('lets a claim whose owner crashed be taken once its lease has passed, not a moment before', async () => {
    const delivery = id();
    await ledger.claim(delivery, now);
    expect(await ledger.claim(delivery, now + deliveryLeaseMillis)).toBe('in-progress');
    expect(await ledger.claim(delivery, now + deliveryLeaseMillis + 1)).toBe('claimed');
  });

  it('gives a claim back after a failed publish, so the retry claims at once; a published delivery stays published', async () => {
    const delivery = id();
    await ledger.claim(delivery, now);
    await ledger.release(delivery);
    expect(await stored(delivery)).toBeUndefined();
    expect(await ledger.claim(delivery, now + 1)).toBe('claimed');
    await ledger.complete(delivery);
    await ledger.release(delivery);
    expect(await ledger.claim(delivery, now + 2)).toBe('duplicate');
    await expect(ledger.release(id())).resolves.toBeUndefined();
  });

  it('a write the SDK repeats after losing DynamoDB’s answer is still our claim, not a duplicate', async () => {
    let lost = 0;
    const front = await answerLosingDynamoDbFront((operation) => operation === 'PutItem' && lost++ === 0)(table.endpoint);
    const client = localDynamoDb(front.endpoint);
    try {
      const delivery = id();
      expect(await new DeliveryLedger(client, table.tableName).claim(delivery, now)).toBe('claimed');
      expect(lost).toBe(2);
      expect(await ledger.claim(delivery, now)).toBe('in-progress');
    } finally {
      client.destroy();
      await front.stop();
    }
  });

  it('passes on a failure of the table itself', async () => {
    await expect(new DeliveryLedger(table.client, 'no-such-table').claim(id(), now)).rejects.toThrow();
    await expect(new DeliveryLedger(table.client, 'no-such-table').release(id())).rejects.toThrow();
  });
});

describe('publishing a decision once per delivery', () => {
  const published: Publication[][] = [];
  let failNext = false;
  const publisher = {
    async publishAll(publications: readonly Publication[]) {
      if (failNext) {
        failNext = false;
        throw new Error('EventBridge is down');
      }
      published.push([...publications]);
    },
  };
  const publication = (name: string): Publication => ({ contract: Events.PageViewed, detail: { name } as never });
  const delivery = (deliveryId: string | undefined, name = deliveryId ?? 'anonymous'): Delivery => ({ id: deliveryId, publications: [publication(name)] });
  const decision = (...deliveries: Delivery[]): Decision => ({ reply: { status: 200, body: { ok: true } }, deliveries });
  const names = (batch: readonly Publication[] | undefined) => batch?.map((entry) => (entry.detail as { name: string }).name);
  const clock = () => now;

  beforeEach(() => {
    published.length = 0;
    failNext = false;
  });

  it('answers a request with nothing to publish without touching the ledger', async () => {
    expect(await publishOnce(decision(), ledger, publisher, clock)).toEqual({ kind: 'answered', reply: { status: 200, body: { ok: true } }, unfinished: 0 });
    expect(published).toEqual([]);
  });

  it('publishes a delivery once; the platform’s retry gets 200 and a duplicate flag, and publishes nothing', async () => {
    const first = id();
    expect(await publishOnce(decision(delivery(first)), ledger, publisher, clock)).toEqual({
      kind: 'answered',
      reply: { status: 200, body: { ok: true } },
      unfinished: 0,
    });
    expect(await publishOnce(decision(delivery(first)), ledger, publisher, clock)).toEqual({
      kind: 'answered',
      reply: { status: 200, body: { ok: true, duplicate: true } },
      unfinished: 0,
    });
    expect(names(published.flat())).toEqual([first]);
  });

  it('publishes a batch’s new deliveries in the platform’s order and counts its duplicates', async () => {
    const [a, b, c] = [id(), id(), id()];
    await publishOnce(decision(delivery(b)), ledger, publisher, clock);
    const result = await publishOnce(decision(delivery(a), delivery(b), delivery(c), delivery(undefined, 'no-id')), ledger, publisher, clock);
    expect(result).toEqual({ kind: 'answered', reply: { status: 200, body: { ok: true, duplicates: 1 } }, unfinished: 0 });
    expect(published.map(names)).toEqual([[b], [a, c, 'no-id']]);
  });

  it('always publishes a delivery the platform gives no id (nothing to know it again by)', async () => {
    await publishOnce(decision(delivery(undefined, 'x')), ledger, publisher, clock);
    await publishOnce(decision(delivery(undefined, 'x')), ledger, publisher, clock);
    expect(published.map(names)).toEqual([['x'], ['x']]);
  });

  it('when the bus fails, gives the claims back so the platform’s retry publishes', async () => {
    const [a, b] = [id(), id()];
    failNext = true;
    expect(await publishOnce(decision(delivery(a), delivery(b)), ledger, publisher, clock)).toMatchObject({ kind: 'failed', stage: 'publish' });
    expect(await publishOnce(decision(delivery(a), delivery(b)), ledger, publisher, clock)).toMatchObject({ kind: 'answered', reply: { status: 200 } });
    expect(published.map(names)).toEqual([[a, b]]);
  });

  it('when the table fails, publishes nothing and gives back the claims it got', async () => {
    const broken = new DeliveryLedger(table.client, 'no-such-table');
    expect(await publishOnce(decision(delivery(id())), broken, publisher, clock)).toMatchObject({ kind: 'failed', stage: 'claim' });
    expect(published).toEqual([]);
  });

  it('answers 503 while another request publishes the same delivery, and frees the batch’s other claims', async () => {
    const [busy, other] = [id(), id()];
    await ledger.claim(busy, now);
    const result = await publishOnce(decision(delivery(other), delivery(busy)), ledger, publisher, clock);
    expect(result).toEqual({
      kind: 'answered',
      reply: { status: 503, body: { code: 'in-progress', message: 'This delivery is being recorded by another request; please retry' } },
      unfinished: 0,
    });
    expect(published).toEqual([]);
    expect(await ledger.claim(other, now)).toBe('claimed');
  });

  it('waits for a concurrent request that finishes within a second, then answers as a duplicate', async () => {
    const delivery1 = id();
    await ledger.claim(delivery1, now);
    setTimeout(() => void ledger.complete(delivery1), 250);
    expect(await publishOnce(decision(delivery(delivery1)), ledger, publisher, clock)).toEqual({
      kind: 'answered',
      reply: { status: 200, body: { ok: true, duplicate: true } },
      unfinished: 0,
    });
  });

  it('still answers 200 when the events are on the bus but a delivery cannot be marked done, and counts it', async () => {
    const forgetful = new DeliveryLedger(table.client, table.tableName);
    forgetful.complete = async () => {
      throw new Error('the table went away');
    };
    const result = await publishOnce(decision(delivery(id()), delivery(id())), forgetful, publisher, clock);
    expect(result).toEqual({ kind: 'answered', reply: { status: 200, body: { ok: true } }, unfinished: 2 });
    expect(published).toHaveLength(1);
  });
});
