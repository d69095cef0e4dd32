import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ProfilePrivacy } from '#services/profiles/adapters/profile-privacy.js';
import { ProfileStore, type SaveRequest, type StoredProfile } from '#services/profiles/adapters/profile-store.js';
import { type CustomerEvent, emptyProfile, type IdentityKey } from '#services/profiles/core/apply-event.js';
import { announcements, marksPublished, publishLeaseMillis, recordAnnounced, updateProfile } from '#services/profiles/update-profile.js';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { InvalidEventError } from '#shared/events/bus-event.js';
import type { Identity } from '#shared/events/common.js';
import * as Events from '#shared/events/index.js';
import { appliedEventRetentionSeconds, type ItemKey, keys } from '#shared/table.js';
import { profileConfig } from '../support/fixtures.js';
import { freshTable, type TestTable } from '../support/table.js';

/**
 * Profiles' promise on a real DynamoDB Local: each event applied once to the one profile of its
 * person, whatever the duplicates and the concurrency; two profiles an event shows to be one person
 * merged in the same write; a profile.updated that never went out finished by a redelivery.
 */
const now = Date.parse('2026-11-29T10:00:00Z');
let table: TestTable;
let store: ProfileStore;
let documents: DynamoDBDocumentClient;
let serial = 0;
const unique = (prefix: string) => `${prefix}-${++serial}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  table = await freshTable();
  store = new ProfileStore(table.client, table.tableName);
  documents = documentClient(table.client);
});
afterAll(async () => {
  await table?.stop();
});

const item = (key: ItemKey) => table.item(key);
function event(detailType: string, identity: Identity, properties: Record<string, unknown> = {}, occurredAt = '2026-11-29T09:00:00.000Z'): CustomerEvent {
  return { detailType, detail: { eventId: unique('e'), occurredAt, identity, traits: {}, origin: { platform: 'shopify', topic: 't' }, properties } };
}
const order = (identity: Identity, occurredAt?: string) =>
  event('order.completed', identity, { orderId: unique('o'), total: { amount: '10.00', currency: 'USD' }, items: [] }, occurredAt);
const apply = (next: CustomerEvent, delivery = 'delivery-1', at = now) => updateProfile(store, next, profileConfig, at, delivery);
/** Applied and announced, as the handler does: the marker is written (and, but for browsing, marked announced) once the update is out. */
const applied = async (next: CustomerEvent, delivery?: string, at = now) => {
  const outcome = await apply(next, delivery, at);
  if (outcome.kind !== 'applied') throw new Error(`expected applied, got ${outcome.kind}`);
  await recordAnnounced(store, outcome, next.detailType, next.detail.eventId);
  return outcome;
};
/** Applied by a delivery that stops (a timeout, a crash) before its profile.updated is out: the profile and history slot written, no marker. */
const appliedThenStopped = async (next: CustomerEvent, delivery: string) => {
  const outcome = await apply(next, delivery);
  expect(outcome).toMatchObject({ kind: 'applied', unmarked: { applied: { eventId: next.detail.eventId } } });
  expect(await item(keys.appliedEvent(next.detail.eventId))).toBeUndefined();
  return outcome;
};

/** The DynamoDB commands `work` sends, with whether each asked for a consistent read, as the table's client sees them. */
async function commandsDuring(work: () => Promise<unknown>): Promise<{ name: string; consistent: boolean }[]> {
  const commands: { name: string; consistent: boolean }[] = [];
  table.client.middlewareStack.add(
    (next, context) => async (args) => {
      commands.push({ name: context.commandName as string, consistent: (args.input as { ConsistentRead?: boolean }).ConsistentRead === true });
      return next(args);
    },
    { step: 'initialize', name: 'recordCommands' },
  );
  try {
    await work();
  } finally {
    table.client.middlewareStack.remove('recordCommands');
  }
  return commands;
}
const writesDuring = async (work: () => Promise<unknown>) =>
  (await commandsDuring(work)).map((command) => command.name).filter((name) => name !== 'GetItemCommand');

describe('applying an event to the profile of its person', () => {
  it('makes a profile for a new person, with every key of the event leading to it', async () => {
    const email = `${unique('ada')}@example.com`;
    const first = await applied(event('cart.updated', { email, anonymousId: unique('anon'), cartRef: unique('cart') }, { cartId: 'c1' }));
    expect(first).toMatchObject({ version: 1, merged: [], profile: { email, orderCount: 0 } });
    const keysOfEvent = [
      { kind: 'email' as const, value: email },
      { kind: 'anonymous' as const, value: 'x' },
    ];
    const found = await store.findProfileIds(keysOfEvent);
    expect(found.get(`email#${email}`)).toBe(first.profile.profileId);
    expect(found.has('anonymous#x')).toBe(false);
    expect(await item(keys.identity(first.profile.profileId, 'email', email))).toBeDefined();
    const again = await applied(order({ email }));
    expect(again).toMatchObject({ version: 2, profile: { profileId: first.profile.profileId, orderCount: 1 } });
    expect(again.changed).toEqual(expect.arrayContaining(['orderCount', 'revenue', 'lastOrderAt']));
  });

  it('counts an event once: a redelivery is a duplicate, and one never announced is finished by the delivery that applied it', async () => {
    const email = `${unique('bo')}@example.com`;
    const fact = order({ email });
    const first = await apply(fact, 'delivery-a');
    if (first.kind !== 'applied') throw new Error(`expected applied, got ${first.kind}`);
    const retried = await apply(fact, 'delivery-a');
    expect(retried).toEqual({ kind: 'duplicate', unfinished: { profile: first.profile, version: 1, changed: first.changed } });
    expect(await apply(fact, 'delivery-b')).toEqual({ kind: 'duplicate' });
    expect(await apply(fact, 'delivery-b', now + publishLeaseMillis + 1)).toMatchObject({ kind: 'duplicate', unfinished: { version: 1 } });
    expect(await apply(fact, 'delivery-b', now + publishLeaseMillis)).toEqual({ kind: 'duplicate' });
    await store.markPublished(fact.detail.eventId);
    expect(await apply(fact, 'delivery-a')).toEqual({ kind: 'duplicate' });
    expect((await store.resolve(first.profile.profileId))?.profile.orderCount).toBe(1);
  });

  it('finishes nothing for a copy of any fact whose announcement is marked, even from the delivery that applied it', async () => {
    const view = event('product.viewed', { email: `${unique('marked')}@example.com` }, { productId: 'p1' });
    await applied(view, 'delivery-a');
    expect(await apply(view, 'delivery-a')).toMatchObject({ kind: 'duplicate', unfinished: { version: 1 } });
    await store.markPublished(view.detail.eventId);
    expect(await apply(view, 'delivery-a')).toEqual({ kind: 'duplicate' });
    expect(await apply(view, 'delivery-b', now + publishLeaseMillis + 1)).toEqual({ kind: 'duplicate' });
  });

  it('marks every fact as announced but browsing (views, carts, location reports, identifies)', () => {
    const browsing = ['product.viewed', 'page.viewed', 'cart.updated', 'location.reported', 'customer.upserted'];
    for (const contract of Events.customerEvents)
      expect([contract.detailType, marksPublished(contract.detailType)]).toEqual([contract.detailType, !browsing.includes(contract.detailType)]);
  });

  it.each([
    ['order.completed', { orderId: 'o-1', total: { amount: '10.00', currency: 'USD' }, items: [] }],
    ['order.cancelled', { orderId: 'o-2', total: { amount: '1.00', currency: 'USD' } }],
    ['order.refunded', { orderId: 'o-3', amount: { amount: '1.00', currency: 'USD' } }],
    ['order.fulfilled', { orderId: 'o-4', fulfillmentId: 'f-4', items: [] }],
    ['order.delivered', { orderId: 'o-5', fulfillmentId: 'f-5' }],
    ['consent.changed', { channel: 'email', state: 'unsubscribed' }],
  ])('takes a copy of a %s applied and announced with one read of its marker, and nothing else', async (detailType, properties) => {
    const fact = event(detailType, { email: `${unique('copy')}@example.com` }, properties);
    await applied(fact, 'delivery-a');
    await store.markPublished(fact.detail.eventId);
    let outcome: unknown;
    const commands = await commandsDuring(async () => {
      outcome = await updateProfile(store, fact, profileConfig, now + 3_600_000, 'a-copy');
    });
    expect(outcome).toEqual({ kind: 'duplicate' });
    expect(commands.map((command) => command.name)).toEqual(['GetItemCommand']);
  });

  it('keeps an order’s marker forever and a browsing event’s for 35 days', async () => {
    const email = `${unique('cy')}@example.com`;
    const fact = order({ email });
    await applied(fact);
    expect(await item(keys.appliedEvent(fact.detail.eventId))).toMatchObject({ published: true, appliedBy: 'delivery-1', appliedAt: now });
    expect((await item(keys.appliedEvent(fact.detail.eventId)))?.expiresAt).toBeUndefined();
    for (const detailType of ['order.cancelled', 'order.refunded']) {
      const money = event(detailType, { email }, { total: { amount: '1.00', currency: 'USD' }, amount: { amount: '1.00', currency: 'USD' } });
      await applied(money);
      expect((await item(keys.appliedEvent(money.detail.eventId)))?.expiresAt).toBeUndefined();
    }
    const view = event('product.viewed', { email }, { productId: 'p1' });
    await applied(view);
    expect((await item(keys.appliedEvent(view.detail.eventId)))?.expiresAt).toBe(Math.floor(now / 1000) + appliedEventRetentionSeconds);
  });

  it('keeps the recent events with the ids that tie a sequence’s steps, in a ring of slots', async () => {
    const email = `${unique('di')}@example.com`;
    const first = await applied(event('checkout.started', { email }, { checkoutId: 'k1', cartId: 'c1', productId: 7 }));
    const slot = await item(keys.history(first.profile.profileId, 0));
    expect(slot).toMatchObject({ detailType: 'checkout.started', refs: { checkoutId: 'k1', cartId: 'c1' } });
    expect(slot?.refs).toEqual({ checkoutId: 'k1', cartId: 'c1' });
    expect(slot?.expiresAt).toBe(Math.floor(Date.parse('2026-11-29T09:00:00.000Z') / 1000) + profileConfig.history.maxAgeDays * 86_400);
    const second = await applied(event('store.visited', { email }, { storeId: 's1', orderId: 'o1', productId: 'p1' }));
    expect((await item(keys.history(second.profile.profileId, 1)))?.refs).toEqual({ storeId: 's1', orderId: 'o1', productId: 'p1' });
    expect((await store.resolve(first.profile.profileId))?.historySeq).toBe(2);
  });

  it('refuses an event with no key to find its person by', async () => {
    await expect(apply(event('cart.updated', {}))).rejects.toThrow(InvalidEventError);
    await expect(apply(event('cart.updated', {}))).rejects.toThrow('has no usable identity key');
  });

  it('applies an event that names only a cart or an order to the person it belongs to, and skips one nobody is known by', async () => {
    const email = `${unique('ed')}@example.com`;
    const cartRef = unique('cart');
    const owner = await applied(event('cart.updated', { email, cartRef }, { cartId: cartRef }));
    const refund = event('order.refunded', { cartRef }, { amount: { amount: '1.00', currency: 'USD' } });
    expect(await applied(refund)).toMatchObject({ profile: { profileId: owner.profile.profileId } });
    const stranger = event('order.refunded', { orderRef: unique('order') }, { amount: { amount: '1.00', currency: 'USD' } });
    expect(await apply(stranger)).toEqual({ kind: 'unattached' });
  });

  it('merges the profiles an event shows to be one person, in the same write, the email’s profile surviving', async () => {
    const email = `${unique('fe')}@example.com`;
    const anonymousId = unique('browser');
    const browsing = await applied(event('product.viewed', { anonymousId }, { productId: 'dress' }, '2026-11-29T08:00:00.000Z'));
    const known = await applied(order({ email }, '2026-11-01T08:00:00.000Z'));
    const checkout = await applied(event('checkout.started', { email, anonymousId }, { checkoutId: 'k1' }));
    expect(checkout).toMatchObject({ merged: [browsing.profile.profileId], version: 2, profile: { profileId: known.profile.profileId, orderCount: 1 } });
    expect(checkout.profile.lastProductViewed?.productId).toBe('dress');
    expect(await store.loadItem(browsing.profile.profileId)).toEqual({ kind: 'merged', into: known.profile.profileId, version: 2 });
    expect((await store.resolve(browsing.profile.profileId))?.profile.profileId).toBe(known.profile.profileId);
    expect((await store.resolve(known.profile.profileId))?.absorbed).toEqual([browsing.profile.profileId]);
    const later = await applied(event('product.viewed', { anonymousId }, { productId: 'scarf' }));
    expect(later.profile.profileId).toBe(known.profile.profileId);
  });

  it('applies ten events for one new person at the same moment to one profile, each once', async () => {
    const email = `${unique('gi')}@example.com`;
    const orders = Array.from({ length: 10 }, () => order({ email }));
    const outcomes = await Promise.all(orders.map((next, index) => apply(next, `delivery-${index}`)));
    expect(outcomes.every((outcome) => outcome.kind === 'applied')).toBe(true);
    const ids = new Set(outcomes.map((outcome) => (outcome.kind === 'applied' ? outcome.profile.profileId : '')));
    expect(ids.size).toBe(1);
    const profile = (await store.resolve([...ids][0] as string))?.profile;
    expect(profile).toMatchObject({ orderCount: 10, revenue: { USD: '100.00' } });
    expect(outcomes.map((outcome) => (outcome.kind === 'applied' ? outcome.version : 0)).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});

describe('a delivery that stops between the profile and its marker', () => {
  async function knownPerson(): Promise<{ email: string; profileId: string }> {
    const email = `${unique('stop')}@example.com`;
    const first = await applied(event('customer.upserted', { email }));
    return { email, profileId: first.profile.profileId };
  }

  it('writes a known person’s change as three single writes, not a transaction', async () => {
    const { email } = await knownPerson();
    expect(await writesDuring(() => applied(order({ email })))).toEqual(['PutItemCommand', 'PutItemCommand', 'PutItemCommand']);
    const cartRef = unique('cart');
    // A new key too: its record in the profile, the key, then the same three.
    expect(await writesDuring(() => applied(event('checkout.started', { email, cartRef }, { checkoutId: unique('k') })))).toEqual(
      Array(5).fill('PutItemCommand'),
    );
    expect((await store.findProfileIds([{ kind: 'cart', value: cartRef }])).size).toBe(1);
  });

  it('leaves a key another person took first to them: not the other’s to export or erase', async () => {
    const owner = await knownPerson();
    const other = await knownPerson();
    const cartRef = unique('cart');
    await applied(event('cart.updated', { email: owner.email, cartRef }, { cartId: 'c1' }));
    // What a claim refused leaves: the other's record of the key (its retry then merges the two).
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.identity(other.profileId, 'cart', cartRef), createdAt: 'x' } }));
    const privacy = new ProfilePrivacy(table.client, table.tableName);
    const exported = await privacy.export({ profileId: other.profileId }, now);
    expect(exported?.identities).toEqual([{ kind: 'email', value: other.email }]);
    await privacy.erase({ profileId: other.profileId }, now);
    expect((await store.findProfileIds([{ kind: 'cart', value: cartRef }])).get(`cart#${cartRef}`)).toBe(owner.profileId);
    expect((await store.findProfileIds([{ kind: 'email', value: other.email }])).size).toBe(0);
  });

  it('is finished by its own redelivery: announced once, with its marker and history slot written', async () => {
    const { email, profileId } = await knownPerson();
    const fact = order({ email });
    await appliedThenStopped(fact, 'delivery-a');
    // Stopped before its history slot too.
    await documents.send(new DeleteCommand({ TableName: table.tableName, Key: keys.history(profileId, 1) }));
    // Another copy while the first delivery may still be at it leaves the announcement, and the marker, to that one.
    expect(await apply(fact, 'delivery-b')).toEqual({ kind: 'duplicate' });
    expect(await item(keys.appliedEvent(fact.detail.eventId))).toBeUndefined();
    const retried = await apply(fact, 'delivery-a');
    expect(retried).toMatchObject({ kind: 'duplicate', unfinished: { version: 2, profile: { orderCount: 1 } } });
    expect(retried.kind === 'duplicate' && retried.unfinished?.changed).toEqual(expect.arrayContaining(['orderCount']));
    expect(await item(keys.history(profileId, 1))).toMatchObject({ detailType: 'order.completed', eventId: fact.detail.eventId, seq: 1 });
    // Announced this time: the marker is written, marked announced.
    await recordAnnounced(store, retried, fact.detailType, fact.detail.eventId);
    expect(await item(keys.appliedEvent(fact.detail.eventId))).toMatchObject({ published: true, appliedBy: 'delivery-a', appliedAt: now });
    // Once finished, a copy is an ordinary duplicate.
    expect(await apply(fact, 'delivery-a')).toEqual({ kind: 'duplicate' });
    expect((await store.resolve(profileId))?.profile.orderCount).toBe(1);
  });

  it('is finished by any delivery once the lease is over, if its own never comes back', async () => {
    const { email } = await knownPerson();
    const fact = order({ email });
    await appliedThenStopped(fact, 'delivery-a');
    expect(await apply(fact, 'delivery-b', now + publishLeaseMillis)).toEqual({ kind: 'duplicate' });
    const takenOver = await apply(fact, 'delivery-b', now + publishLeaseMillis + 1);
    expect(takenOver).toMatchObject({ kind: 'duplicate', unfinished: { version: 2 } });
    await recordAnnounced(store, takenOver, fact.detailType, fact.detail.eventId);
    expect(await item(keys.appliedEvent(fact.detail.eventId))).toMatchObject({ published: true, appliedBy: 'delivery-a' });
    expect(await apply(fact, 'delivery-c', now + 2 * publishLeaseMillis)).toEqual({ kind: 'duplicate' });
  });

  it('marks a known person’s browsing fact announced in the one write of its marker, so a late copy announces nothing', async () => {
    const { email } = await knownPerson();
    const view = event('product.viewed', { email }, { productId: 'p1' });
    await applied(view, 'delivery-a');
    expect(await item(keys.appliedEvent(view.detail.eventId))).toMatchObject({ published: true });
    expect(await apply(view, 'delivery-b', now + publishLeaseMillis + 1)).toEqual({ kind: 'duplicate' });
  });

  it('records nothing for an outcome that announced nothing', async () => {
    const stranger = event('order.refunded', { orderRef: unique('order') }, { amount: { amount: '1.00', currency: 'USD' } });
    const outcome = await apply(stranger);
    expect(outcome).toEqual({ kind: 'unattached' });
    await recordAnnounced(store, outcome, stranger.detailType, stranger.detail.eventId);
    expect(await item(keys.appliedEvent(stranger.detail.eventId))).toBeUndefined();
  });

  it('is finished by the person’s next event, so a copy of it long after counts nothing', async () => {
    const { email, profileId } = await knownPerson();
    const fact = order({ email });
    await appliedThenStopped(fact, 'delivery-a');
    await applied(event('product.viewed', { email }, { productId: 'p1' }), 'delivery-next');
    expect(await item(keys.appliedEvent(fact.detail.eventId))).toMatchObject({ appliedBy: 'delivery-a', changed: expect.arrayContaining(['orderCount']) });
    expect((await item(keys.appliedEvent(fact.detail.eventId)))?.expiresAt).toBeUndefined();
    expect(await item(keys.history(profileId, 1))).toMatchObject({ eventId: fact.detail.eventId, seq: 1 });
    expect(await item(keys.history(profileId, 2))).toMatchObject({ detailType: 'product.viewed', seq: 2 });
    const copy = await apply(fact, 'delivery-b', now + 7 * 86_400_000);
    expect(copy.kind).toBe('duplicate');
    expect((await store.resolve(profileId))?.profile.orderCount).toBe(1);
  });

  it('finishes an earlier event only while its marker would still be kept: 35 days, or for ever for an order', async () => {
    const day = 86_400_000;
    const { email, profileId } = await knownPerson();
    const view = event('product.viewed', { email }, { productId: 'p1' });
    await appliedThenStopped(view, 'delivery-a');
    await applied(event('cart.updated', { email }, { cartId: 'c1' }), 'delivery-next', now + 35 * day);
    expect(await item(keys.appliedEvent(view.detail.eventId))).toBeUndefined();
    const order1 = order({ email });
    await updateProfile(store, order1, profileConfig, now + 36 * day, 'delivery-b');
    await applied(event('cart.updated', { email }, { cartId: 'c2' }), 'delivery-next', now + 400 * day);
    expect(await item(keys.appliedEvent(order1.detail.eventId))).toMatchObject({ appliedBy: 'delivery-b', published: false });
    const recent = event('product.viewed', { email }, { productId: 'p2' });
    await updateProfile(store, recent, profileConfig, now + 400 * day, 'delivery-c');
    await applied(event('cart.updated', { email }, { cartId: 'c3' }), 'delivery-next', now + 435 * day - 1);
    expect(await item(keys.appliedEvent(recent.detail.eventId))).toMatchObject({ appliedBy: 'delivery-c' });
    expect((await store.resolve(profileId))?.profile.orderCount).toBe(1);
  });

  it('applies an event to a profile written before profiles kept their last event', async () => {
    const { email, profileId } = await knownPerson();
    await documents.send(new UpdateCommand({ TableName: table.tableName, Key: keys.profile(profileId), UpdateExpression: 'REMOVE lastApplied' }));
    expect((await store.resolve(profileId))?.lastApplied).toBeUndefined();
    expect(await applied(order({ email }))).toMatchObject({ profile: { profileId, orderCount: 1 } });
  });

  it('never lets a history slot finished late overwrite the newer event the ring gave it to', async () => {
    const { email, profileId } = await knownPerson();
    const late = order({ email });
    await appliedThenStopped(late, 'delivery-a');
    const stored = await store.resolve(profileId);
    const stopped = stored?.lastApplied;
    expect(stopped).toMatchObject({ eventId: late.detail.eventId, seq: 1, appliedBy: 'delivery-a', appliedAt: now });
    const terms = { permanent: true, slots: 2, retentionSeconds: 86_400 };
    if (stopped === undefined) throw new Error('the profile names no event');
    const entry = { detailType: 'product.viewed', eventId: unique('newer'), occurredAt: '2026-11-29T09:30:00.000Z', refs: {} };
    // Two slots: the ring gives slot 1 to the stopped event (seq 1), then to a newer one (seq 3).
    await store.finishApplied(profileId, { ...stopped, eventId: entry.eventId, seq: 3, entry }, terms);
    await store.finishApplied(profileId, stopped, terms);
    expect(await item(keys.history(profileId, 1))).toMatchObject({ eventId: entry.eventId, seq: 3 });
    expect(await item(keys.appliedEvent(late.detail.eventId))).toBeDefined();
  });
});

/**
 * Reads as DynamoDB may answer them at half price (eventually consistent): keys and profiles as they
 * were before the last writes. DynamoDB Local always reads consistently, so staleness is played here.
 */
class StaleFirstReads extends ProfileStore {
  constructor(private readonly before: { readonly keys?: Map<string, string>; readonly profile?: StoredProfile }) {
    super(table.client, table.tableName);
  }
  override async findProfileIds(identity: readonly IdentityKey[], consistent = true): Promise<Map<string, string>> {
    return consistent || this.before.keys === undefined ? super.findProfileIds(identity, consistent) : this.before.keys;
  }
  override async resolve(profileId: string, consistent = true): Promise<StoredProfile | undefined> {
    return consistent || this.before.profile === undefined ? super.resolve(profileId, consistent) : this.before.profile;
  }
}

describe('reads at half price', () => {
  it('first reads the person eventually consistent, and their marker strongly', async () => {
    const email = `${unique('half')}@example.com`;
    await applied(event('customer.upserted', { email }));
    const reads = (await commandsDuring(() => applied(event('product.viewed', { email }, { productId: 'p1' }))))
      .filter((command) => command.name === 'GetItemCommand')
      .map((command) => command.consistent);
    // The email's key, the profile, then this event's marker (the earlier event's, half price, when it is recent).
    expect(reads.slice(0, 3)).toEqual([false, false, true]);
  });

  it('applies an event once though the first read of its person is from before it', async () => {
    const email = `${unique('stale')}@example.com`;
    const first = await applied(event('customer.upserted', { email }));
    const before = await store.resolve(first.profile.profileId);
    const fact = order({ email });
    // Applied by one delivery, not yet announced; a copy from another reads the person as they were.
    await appliedThenStopped(fact, 'delivery-a');
    const stale = new StaleFirstReads({ profile: before });
    expect(await updateProfile(stale, fact, profileConfig, now, 'delivery-b')).toEqual({ kind: 'duplicate' });
    expect((await store.resolve(first.profile.profileId))?.profile.orderCount).toBe(1);
  });

  it('gives a key claimed for a person while they were erased to the person the event makes next', async () => {
    const browser = unique('erased-browser');
    const email = `${unique('back')}@example.com`;
    const first = await applied(event('product.viewed', { anonymousId: browser }, { productId: 'p1' }));
    const erasedId = first.profile.profileId;
    const before = { keys: new Map([[`anonymous#${browser}`, erasedId]]), profile: await store.resolve(erasedId) };
    const privacy = new ProfilePrivacy(table.client, table.tableName);
    await privacy.erase({ profileId: erasedId }, now);
    // Read from before the erasure: the email is claimed for the erased person, whose write then fails.
    const back = await updateProfile(
      new StaleFirstReads(before),
      event('product.viewed', { anonymousId: browser, email }, { productId: 'p2' }),
      profileConfig,
      now,
      'd-1',
    );
    if (back.kind !== 'applied') throw new Error(`expected applied, got ${back.kind}`);
    expect(back.profile.profileId).not.toBe(erasedId);
    expect((await store.findProfileIds([{ kind: 'email', value: email }])).get(`email#${email}`)).toBe(back.profile.profileId);
    expect(await item(keys.identity(erasedId, 'email', email))).toBeUndefined();
    expect((await applied(event('customer.upserted', { email }))).profile.profileId).toBe(back.profile.profileId);
    expect(await privacy.erase({ kind: 'email', value: email }, now)).toMatchObject({ profileId: back.profile.profileId });
    expect((await store.findProfileIds([{ kind: 'email', value: email }])).size).toBe(0);
  });

  it('erases a key left leading to a profile already gone, with what is left of it', async () => {
    const gone = unique('gone');
    const email = `${unique('left')}@example.com`;
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.alias('email', email), profileId: gone } }));
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.identity(gone, 'email', email), createdAt: 'x' } }));
    const privacy = new ProfilePrivacy(table.client, table.tableName);
    expect(await privacy.erase({ kind: 'email', value: email }, now)).toEqual({ profileId: gone, deletedItems: 2, suppressed: ['email'] });
    expect(await item(keys.alias('email', email))).toBeUndefined();
    expect(await item(keys.identity(gone, 'email', email))).toBeUndefined();
    expect(await privacy.erase({ kind: 'email', value: email }, now)).toBeUndefined();
  });

  it('merges a known person with the one a new key of theirs turns out to lead to, when a stale read had it new', async () => {
    const cartRef = unique('shared-cart');
    const carted = await applied(event('cart.updated', { email: `${unique('first')}@example.com`, cartRef }, { cartId: cartRef }));
    const email = `${unique('second')}@example.com`;
    const known = await applied(event('customer.upserted', { email }));
    // The half-price read has not seen the cart's key: its claim is refused, and the retry merges the two.
    const stale = new StaleFirstReads({ keys: new Map([[`email#${email}`, known.profile.profileId]]) });
    const outcome = await updateProfile(stale, event('checkout.started', { email, cartRef }, { checkoutId: unique('k') }), profileConfig, now, 'd-1');
    expect(outcome).toMatchObject({ kind: 'applied' });
    const survivor = outcome.kind === 'applied' ? outcome.profile.profileId : '';
    expect(outcome.kind === 'applied' && [...outcome.merged, survivor].sort()).toEqual([carted.profile.profileId, known.profile.profileId].sort());
    const cartOwner = (await store.findProfileIds([{ kind: 'cart', value: cartRef }])).get(`cart#${cartRef}`) ?? '';
    expect((await store.resolve(cartOwner))?.profile.profileId).toBe(survivor);
  });

  it('takes over, for a known person, a key left leading to a profile that is gone', async () => {
    const email = `${unique('taker')}@example.com`;
    const { profileId } = (await applied(event('customer.upserted', { email }))).profile;
    const gone = unique('gone');
    const cartRef = unique('left-cart');
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.alias('cart', cartRef), profileId: gone } }));
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.identity(gone, 'cart', cartRef), createdAt: 'x' } }));
    expect(await applied(event('cart.updated', { email, cartRef }, { cartId: cartRef }))).toMatchObject({ profile: { profileId } });
    expect((await store.findProfileIds([{ kind: 'cart', value: cartRef }])).get(`cart#${cartRef}`)).toBe(profileId);
    expect(await item(keys.identity(gone, 'cart', cartRef))).toBeUndefined();
    expect(await item(keys.identity(profileId, 'cart', cartRef))).toBeDefined();
  });

  it('says an event names nobody known only after a strong read', async () => {
    const email = `${unique('late-key')}@example.com`;
    const cartRef = unique('cart');
    const owner = await applied(event('cart.updated', { email, cartRef }, { cartId: cartRef }));
    // A half-price read from before the cart's key was written finds nobody.
    const stale = new StaleFirstReads({ keys: new Map() });
    const refund = event('order.refunded', { cartRef }, { amount: { amount: '1.00', currency: 'USD' } });
    expect(await updateProfile(stale, refund, profileConfig, now, 'delivery-1')).toMatchObject({
      kind: 'applied',
      profile: { profileId: owner.profile.profileId },
    });
  });
});

describe('one event, delivered twice at the same moment', () => {
  it('applies a new person’s first event once: the other delivery finds it applied', async () => {
    // Both deliveries look the person up before either writes: both set out to make the profile.
    const waiting: (() => void)[] = [];
    const lockstep = Object.create(store) as ProfileStore;
    lockstep.findProfileIds = async (keysOfEvent) => {
      const found = await store.findProfileIds(keysOfEvent);
      if (waiting.length < 2)
        await new Promise<void>((resolve) => {
          waiting.push(resolve);
          if (waiting.length === 2) for (const go of waiting) go();
        });
      return found;
    };
    const fact = order({ email: `${unique('twin')}@example.com` });
    const outcomes = await Promise.all(['delivery-a', 'delivery-b'].map((delivery) => updateProfile(lockstep, fact, profileConfig, now, delivery)));
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['applied', 'duplicate']);
    const profileId = outcomes.flatMap((outcome) => (outcome.kind === 'applied' ? [outcome.profile.profileId] : []))[0] as string;
    expect((await store.resolve(profileId))?.profile.orderCount).toBe(1);
  });
});

describe('the profile store', () => {
  const terms = { permanent: false, slots: 50, retentionSeconds: 86_400 };
  const request = (profileId: string, email: string, expectedVersion?: number): SaveRequest => ({
    profile: emptyProfile(profileId, '2026-11-29T09:00:00.000Z'),
    expectedVersion,
    absorbed: [],
    allAbsorbed: [],
    newAliases: [{ kind: 'email', value: email }],
    eventId: unique('e'),
    appliedBy: 'delivery-1',
    changed: [],
    history: { entry: { detailType: 'customer.upserted', eventId: 'x', occurredAt: '2026-11-29T09:00:00.000Z', refs: {} }, seq: expectedVersion ?? 0 },
    terms,
    now,
  });

  it('tells a write that lost a race from one already done: a key or a version taken is a conflict, the same event again a duplicate', async () => {
    const email = `${unique('race')}@example.com`;
    const first = request(unique('p'), email);
    expect(await store.save(first)).toBe('saved');
    // A new profile for a key another took meanwhile, in its transaction.
    expect(await store.save(request(unique('p'), email))).toBe('conflict');
    expect(await store.save({ ...request(unique('p'), `${unique('other')}@example.com`), eventId: first.eventId })).toBe('duplicate');
    // A known profile written since it was read, or given a key another has.
    const known = first.profile.profileId;
    expect(await store.save({ ...request(known, `${unique('new-key')}@example.com`, 5) })).toBe('conflict');
    expect(await store.save({ ...request(known, email, 1), newAliases: [{ kind: 'email', value: `${unique('mine')}@example.com` }] })).toBe('saved-unmarked');
    const taken = `${unique('taken')}@example.com`;
    expect(await store.save(request(unique('p'), taken))).toBe('saved');
    expect(await store.save(request(known, taken, 2))).toBe('conflict');
    expect((await store.findProfileIds([{ kind: 'email', value: taken }])).get(`email#${taken}`)).not.toBe(known);
  });

  it('never lets a new profile overwrite another with the same id; once its time to retry is spent the delivery fails, to be retried later', async () => {
    const fixed = unique('fixed');
    await updateProfile(store, order({ email: `${unique('first')}@example.com` }), profileConfig, now, 'd1', { newProfileId: () => fixed });
    await expect(
      updateProfile(store, order({ email: `${unique('second')}@example.com` }), profileConfig, now, 'd2', { newProfileId: () => fixed, retryForMillis: 300 }),
    ).rejects.toThrow(/in \d+ attempts over 300 ms: too many concurrent updates; retrying later/);
    expect((await store.resolve(fixed))?.profile.orderCount).toBe(1);
    expect((await item(keys.profile(fixed)))?.absorbed).toBeUndefined();
  });

  it('follows a merged profile to its survivor, up to ten merges deep', async () => {
    // Ten merged profiles and the live one: the first is eleven reads from the survivor, one too many.
    const chain = Array.from({ length: 11 }, () => unique('chain'));
    const live = chain.at(-1) as string;
    await applied(event('cart.updated', { userId: unique('u') }), 'd').then(async (outcome) => {
      const stored = await item(keys.profile(outcome.profile.profileId));
      await documents.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...stored, ...keys.profile(live), profile: { ...(stored?.profile as Record<string, unknown>), profileId: live } },
        }),
      );
    });
    for (const [index, id] of chain.slice(0, -1).entries())
      await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.profile(id), mergedInto: chain[index + 1], version: 1 } }));
    expect((await store.resolve(chain[1] as string))?.profile.profileId).toBe(live);
    await expect(store.resolve(chain[0] as string)).rejects.toThrow('more than 10 merges');
    expect(await store.resolve(unique('nobody'))).toBeUndefined();
    expect(await store.loadItem(unique('nobody'))).toBeUndefined();
  });

  it('reads a marker written without its optional fields as unpublished, unchanged, owned by nobody', async () => {
    const eventId = unique('bare');
    await documents.send(new PutCommand({ TableName: table.tableName, Item: { ...keys.appliedEvent(eventId) } }));
    expect(await store.appliedMarker(eventId)).toEqual({ published: false, changed: [], appliedBy: undefined, appliedAt: 0 });
    expect(await store.appliedMarker(unique('none'))).toBeUndefined();
  });
});

describe('what an update announces', () => {
  const trigger = { source: 'nudge.intake', detailType: 'checkout.started', detail: event('checkout.started', { email: 'x@example.com' }).detail };

  it('the merge first, then the profile after the event; nothing for a known duplicate or an unattached event', async () => {
    const email = `${unique('ha')}@example.com`;
    const anonymousId = unique('browser');
    const browsing = await applied(event('product.viewed', { anonymousId }, { productId: 'dress' }));
    await applied(order({ email }));
    const merged = await applied(event('checkout.started', { email, anonymousId }, { checkoutId: 'k1' }));
    const published = announcements(merged, trigger);
    expect(published.map((entry) => entry.contract)).toEqual([Events.ProfileMerged, Events.ProfileUpdated]);
    expect(published[0]?.detail).toEqual({
      profileId: merged.profile.profileId,
      mergedProfileIds: [browsing.profile.profileId],
      eventId: trigger.detail.eventId,
    });
    expect(published[1]?.detail).toMatchObject({
      profileId: merged.profile.profileId,
      version: merged.version,
      changed: merged.changed,
      segments: merged.segments,
      trigger: { source: 'nudge.intake', 'detail-type': 'checkout.started' },
    });
    expect(announcements({ kind: 'duplicate' }, trigger)).toEqual([]);
    expect(announcements({ kind: 'unattached' }, trigger)).toEqual([]);
    const unfinished = announcements({ kind: 'duplicate', unfinished: { profile: merged.profile, version: 7, changed: ['email'] } }, trigger);
    expect(unfinished.map((entry) => entry.contract)).toEqual([Events.ProfileUpdated]);
    expect(unfinished[0]?.detail).toMatchObject({ version: 7, changed: ['email'], segments: { entered: [], left: [] } });
    const single = await applied(order({ email: `${unique('solo')}@example.com` }));
    expect(announcements(single, trigger).map((entry) => entry.contract)).toEqual([Events.ProfileUpdated]);
    expect(single.segments.entered.length).toBeGreaterThan(0);
    expect(announcements(single, trigger)[0]?.detail).toMatchObject({ segments: { entered: single.segments.entered, left: single.segments.left } });
  });
});
