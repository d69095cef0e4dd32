import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { DispatchStore } from '#services/dispatch/adapters/dispatch-store.js';
import { documentClient, retryableAttempts } from '#shared/adapters/aws-clients.js';
import { type ItemKey, keys, ledgerRetentionSeconds, sentRetentionSeconds } from '#shared/table.js';
import { localDynamoDb } from '../../local/dynamodb-local.js';
import { answerLosingDynamoDbFront, failingDynamoDbFront, lostRace } from '../support/dynamodb-front.js';
import { freshTable, type TestTable } from '../support/table.js';

/**
 * Dispatch's send-once ledger, cap reservations and suppression list on a real DynamoDB Local:
 * one decision per message id however deliveries race, and a cap that concurrent sends cannot pass.
 */
const now = Date.parse('2026-11-29T10:00:00Z');
const day = 86_400_000;
let table: TestTable;
let store: DispatchStore;
let serial = 0;
const id = (prefix = 'm') => `${prefix}-${++serial}-${Math.random().toString(36).slice(2)}`;

beforeAll(async () => {
  table = await freshTable();
  store = new DispatchStore(table.client, table.tableName);
});
afterAll(async () => {
  await table?.stop();
});

const item = (key: ItemKey) => table.item(key);

describe('the send-once ledger', () => {
  it('knows nothing of a message never seen', async () => {
    expect(await store.ledger(id())).toBeUndefined();
  });

  it('lets one delivery claim a message; another finds it taken', async () => {
    const message = id();
    expect(await store.record(message, { state: 'sending', leaseUntil: now + 300_000 }, now)).toBe(true);
    expect(await store.ledger(message)).toEqual({ state: 'sending', leaseUntil: now + 300_000 });
    expect(await store.record(message, { state: 'sending', leaseUntil: now + 300_000 }, now)).toBe(false);
    expect(await item(keys.messageLedger(message))).toMatchObject({
      state: 'sending',
      at: new Date(now).toISOString(),
      expiresAt: Math.floor(now / 1000) + ledgerRetentionSeconds,
    });
  });

  it('moves a message on only from the state the caller saw, and keeps the decision’s event until it is on the bus', async () => {
    const message = id();
    await store.record(message, { state: 'sending', leaseUntil: now + 1 }, now);
    const announcement = { detailType: 'message.sent', detail: { messageId: message } };
    expect(await store.record(message, { state: 'sent', announcement }, now, { providerMessageId: 'ses-1' }, { state: 'deferred', until: now + 1 })).toBe(
      false,
    );
    expect(await store.record(message, { state: 'sent', announcement }, now, { providerMessageId: 'ses-1' }, 'sending')).toBe(true);
    expect(await store.ledger(message)).toEqual({ state: 'sent', announcement });
    expect(await item(keys.messageLedger(message))).toMatchObject({ providerMessageId: 'ses-1' });
    await store.announced(message);
    expect(await store.ledger(message)).toEqual({ state: 'sent', announcement: undefined });
    expect(await store.record(message, { state: 'sending', leaseUntil: now }, now, {}, 'sending')).toBe(false);
  });

  it('lets one delivery take up a deferral, as it read it', async () => {
    const message = id();
    expect(await store.record(message, { state: 'deferred', until: now + day }, now)).toBe(true);
    const deferral = await store.ledger(message);
    expect(deferral).toEqual({ state: 'deferred', until: now + day });
    if (deferral?.state !== 'deferred') throw new Error('not deferred');
    expect(await store.record(message, { state: 'sending', leaseUntil: now + day }, now + day)).toBe(false);
    expect(await store.record(message, { state: 'sending', leaseUntil: now + day }, now + day, {}, { state: 'deferred', until: now })).toBe(false);
    expect(await store.record(message, { state: 'deferred', until: now + 2 * day }, now + day, {}, deferral)).toBe(true);
    expect(await store.record(message, { state: 'sending', leaseUntil: now + day }, now + day, {}, deferral)).toBe(false);
    expect(await store.record(message, { state: 'sending', leaseUntil: now + day }, now + day, {}, { state: 'deferred', until: now + 2 * day })).toBe(true);
  });

  it('a claim the SDK repeats after losing DynamoDB’s answer is still ours', async () => {
    let puts = 0;
    const front = await answerLosingDynamoDbFront((operation) => operation === 'PutItem' && puts++ === 0)(table.endpoint);
    const client = localDynamoDb(front.endpoint);
    try {
      const message = id();
      expect(await new DispatchStore(client, table.tableName).record(message, { state: 'sending', leaseUntil: now }, now)).toBe(true);
      expect(puts).toBe(2);
      expect(await store.record(message, { state: 'sending', leaseUntil: now }, now)).toBe(false);
    } finally {
      client.destroy();
      await front.stop();
    }
  });

  it('gives back a claim whose send certainly did not happen, and never a decided message', async () => {
    const message = id();
    await store.record(message, { state: 'sending', leaseUntil: now }, now);
    await store.release(message);
    expect(await store.ledger(message)).toBeUndefined();
    await store.record(message, { state: 'suppressed' }, now);
    await expect(store.release(message)).rejects.toThrow();
    expect(await store.ledger(message)).toMatchObject({ state: 'suppressed' });
  });

  it('takes a ledger entry written before claims existed, or a missing one, as not its own', async () => {
    const message = id();
    await documentClient(table.client).send(
      new PutCommand({ TableName: table.tableName, Item: { ...keys.messageLedger(message), state: 'sending', leaseUntil: now } }),
    );
    expect(await store.record(message, { state: 'sending', leaseUntil: now }, now)).toBe(false);
    expect(await store.record(id(), { state: 'sent' }, now, {}, 'sending')).toBe(false);
  });

  it('passes on a failure of the table itself', async () => {
    await expect(new DispatchStore(table.client, 'no-such-table').record(id(), { state: 'suppressed' }, now)).rejects.toThrow();
  });
});

describe('the frequency cap reservations', () => {
  const underTwo = (sentAt: readonly number[]) => sentAt.length < 2;

  it('reserves while the cap allows, and refuses once it is reached', async () => {
    const person = id('p');
    expect(await store.reserveSend(person, 'a', now, underTwo)).toBe('reserved');
    expect(await store.reserveSend(person, 'b', now + 1, underTwo)).toBe('reserved');
    expect(await store.reserveSend(person, 'c', now + 2, underTwo)).toBe('cap-reached');
    expect((await store.marketingSentSince(person, now - day)).sort()).toEqual([now, now + 1]);
    expect(await item(keys.capReservations(person))).toMatchObject({ version: 2, expiresAt: Math.floor((now + 1) / 1000) + sentRetentionSeconds });
  });

  it('reserves a message once, however often its delivery is retried, without asking the cap again', async () => {
    const person = id('p');
    await store.reserveSend(person, 'a', now, underTwo);
    await store.reserveSend(person, 'b', now, underTwo);
    expect(await store.reserveSend(person, 'a', now + 5, () => false)).toBe('reserved');
    expect(await store.marketingSentSince(person, 0)).toHaveLength(2);
  });

  it('lets six requests for one person at the same instant through a cap of two exactly twice', async () => {
    const person = id('p');
    const results = await Promise.all(Array.from({ length: 6 }, (_, index) => store.reserveSend(person, `m${index}`, now, underTwo)));
    expect(results.filter((result) => result === 'reserved')).toHaveLength(2);
    expect(await store.marketingSentSince(person, 0)).toHaveLength(2);
  });

  it('forgets sends older than the cap’s longest window when it decides and writes', async () => {
    const person = id('p');
    const seen: number[][] = [];
    await store.reserveSend(person, 'old', now, () => true);
    await store.reserveSend(person, 'edge', now + 1, () => true);
    const later = now + sentRetentionSeconds * 1000;
    await store.reserveSend(person, 'new', later, (sentAt) => {
      seen.push([...sentAt]);
      return true;
    });
    expect(seen).toEqual([[now + 1]]);
    expect((await store.marketingSentSince(person, 0)).sort()).toEqual([now + 1, later]);
  });

  it('counts the sends since a moment, that moment included', async () => {
    const person = id('p');
    await store.reserveSend(person, 'a', now - 2 * day, () => true);
    await store.reserveSend(person, 'b', now - day, () => true);
    expect(await store.marketingSentSince(person, now - day)).toEqual([now - day]);
    expect(await store.marketingSentSince(id('nobody'), 0)).toEqual([]);
  });

  it('takes back a reservation whose message did not go, and ignores one it never had', async () => {
    const person = id('p');
    await store.reserveSend(person, 'a', now, underTwo);
    await store.reserveSend(person, 'b', now, underTwo);
    await store.releaseSend(person, 'a', now);
    const before = await item(keys.capReservations(person));
    await store.releaseSend(person, 'never', now + day);
    expect(await item(keys.capReservations(person))).toEqual(before);
    const nobody = id('p');
    await store.releaseSend(nobody, 'never', now);
    expect(await item(keys.capReservations(nobody))).toBeUndefined();
    expect(await store.marketingSentSince(person, 0)).toEqual([now]);
    expect(await store.reserveSend(person, 'c', now, underTwo)).toBe('reserved');
  });

  it('takes back reservations released at the same time without losing any other', async () => {
    const person = id('p');
    for (const message of ['a', 'b', 'c', 'd']) await store.reserveSend(person, message, now, () => true);
    await Promise.all(['a', 'b', 'c'].map((message) => store.releaseSend(person, message, now)));
    expect(await store.marketingSentSince(person, 0)).toEqual([now]);
  });
});

describe('the frequency cap reservations, when DynamoDB fails', () => {
  /** The store behind a proxy that answers the first `failures` reservation writes with `answer`. */
  async function storeBehind(answer?: Parameters<typeof failingDynamoDbFront>[1], failures = Number.POSITIVE_INFINITY) {
    let writes = 0;
    const front = await failingDynamoDbFront((operation, body) => {
      if (operation !== 'PutItem' || !body.includes('"CAPS"')) return false;
      writes++;
      return writes <= failures;
    }, answer)(table.endpoint);
    const client = localDynamoDb(front.endpoint);
    return {
      store: new DispatchStore(client, table.tableName),
      writes: () => writes,
      stop: async () => {
        client.destroy();
        await front.stop();
      },
    };
  }

  it('tries twenty times when every write loses a race, then leaves the message for a later retry', async () => {
    const racing = await storeBehind(lostRace);
    try {
      const person = id('p');
      await expect(racing.store.reserveSend(person, 'a', now, () => true)).rejects.toThrow(
        `Could not reserve a send for ${person}: too many concurrent sends; retrying later`,
      );
      expect(racing.writes()).toBe(20);
      await store.reserveSend(person, 'a', now, () => true);
      await expect(racing.store.releaseSend(person, 'a', now)).rejects.toThrow(
        `Could not release the send of a for ${person}: too many concurrent sends; retrying later`,
      );
      expect(racing.writes()).toBe(40);
    } finally {
      await racing.stop();
    }
  });

  it('reserves on the twentieth try, after nineteen lost races', async () => {
    const racing = await storeBehind(lostRace, 19);
    try {
      const person = id('p');
      expect(await racing.store.reserveSend(person, 'a', now, () => true)).toBe('reserved');
      expect(racing.writes()).toBe(20);
      expect(await store.marketingSentSince(person, 0)).toEqual([now]);
    } finally {
      await racing.stop();
    }
  });

  it('passes on an outage once the SDK’s own retries are spent, instead of taking it for a lost race', async () => {
    const down = await storeBehind();
    try {
      await expect(down.store.reserveSend(id('p'), 'a', now, () => true)).rejects.toThrow('The table is down');
      expect(down.writes()).toBe(retryableAttempts);
    } finally {
      await down.stop();
    }
  });

  it('reads the ledger and the reservations strongly consistent, so a claim or a send just written is never missed', async () => {
    const reads: string[] = [];
    const front = await failingDynamoDbFront((operation, body) => {
      if (operation === 'GetItem') reads.push(body.toString());
      return false;
    })(table.endpoint);
    const client = localDynamoDb(front.endpoint);
    try {
      const watched = new DispatchStore(client, table.tableName);
      await watched.ledger(id());
      await watched.marketingSentSince(id('p'), 0);
      expect(reads.map((body) => JSON.parse(body).ConsistentRead)).toEqual([true, true]);
    } finally {
      client.destroy();
      await front.stop();
    }
  });
});

describe('the suppression list', () => {
  it('never mails a suppressed address again, whatever its case or spacing, and keeps email and phone apart', async () => {
    const address = `${id('bounce')}@Example.com`;
    expect(await store.isSuppressed('email', address)).toBe(false);
    await store.suppress('email', address, 'hard-bounce', now);
    expect(await store.isSuppressed('email', ` ${address.toLowerCase()} `)).toBe(true);
    expect(await store.isSuppressed('phone', address)).toBe(false);
    await store.suppress('phone', '+14155550100', 'stop', now);
    expect(await store.isSuppressed('phone', '+14155550100')).toBe(true);
  });
});
