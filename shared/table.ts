/**
 * The one DynamoDB table (single-table design). Keys are built here and nowhere else, so the
 * item layout can be read in one place; the CDK stack and the local runtime create the table
 * from `tableDefinition`.
 */
export const tableDefinition = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'expiresAt',
} as const;

export interface ItemKey {
  readonly pk: string;
  readonly sk: string;
}

export type IdentityKind = 'email' | 'phone' | 'customer' | 'user' | 'anonymous' | 'cart' | 'order';

export const keys = {
  profile: (profileId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: 'PROFILE' }),
  /** An identity key (normalised email, `shopify:123` …) pointing at the profile it belongs to. */
  alias: (kind: IdentityKind, value: string): ItemKey => ({ pk: `ALIAS#${kind}#${value}`, sk: 'ALIAS' }),
  /** The reverse of an alias, in the profile's partition, so export and erase find every key of a person. */
  identity: (profileId: string, kind: IdentityKind, value: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `IDENTITY#${kind}#${value}` }),
  /** One of the person's recent events, for sequence rules: a ring of slots, so the count is bounded. */
  history: (profileId: string, slot: number): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `HISTORY#${String(slot).padStart(3, '0')}` }),
  /**
   * Marks a customer event as applied, so a redelivery never counts twice. Its own partition, not
   * the profile's: after a merge the event must still be found, whichever profile it went to.
   */
  appliedEvent: (eventId: string): ItemKey => ({ pk: `EVENT#${eventId}`, sk: 'APPLIED' }),
  /** An address that must never be mailed again (erased, and later: bounced, complained), by its hash. */
  suppression: (kind: 'email' | 'phone', valueHash: string): ItemKey => ({ pk: `SUPPRESSION#${kind}#${valueHash}`, sk: 'SUPPRESSION' }),
  /** What one rule last did for one person: for cooldown and re-entry. */
  ruleState: (profileId: string, ruleId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `RULE#${ruleId}` }),
  /** The send-once ledger: what became of one message id (sending, sent, suppressed, deferred, failed). */
  messageLedger: (messageId: string): ItemKey => ({ pk: `MESSAGE#${messageId}`, sk: 'LEDGER' }),
  /** The person's marketing sends of the last week (message id → time), one item written under a version condition: the frequency caps reserve here. */
  capReservations: (profileId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: 'CAPS' }),
  /** A time, place or sequence rule's state for one person and key (a checkout, a geofence, a date). */
  triggerState: (profileId: string, ruleId: string, stateKey: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `TRIGGER#${ruleId}#${stateKey}` }),
  /** What one evaluation decided about one person (a rule fired, held, waited; a message sent, suppressed, deferred), by its time: what `nudge why` reads. */
  decision: (profileId: string, sortKey: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `${decisionKeyPrefix}${sortKey}` }),
  /** A data-subject request a shop passed on (Shopify's compliance webhooks) and what came of it: the shop's record, kept. */
  privacyRequest: (shop: string, requestKey: string): ItemKey => ({ pk: `PRIVACY#${shop}`, sk: `REQUEST#${requestKey}` }),
  /** What an export request produced, for the shop to hand over: kept 30 days. */
  privacyExport: (shop: string, requestKey: string): ItemKey => ({ pk: `PRIVACY#${shop}`, sk: `EXPORT#${requestKey}` }),
  /** A pool of unique coupon codes: how many were loaded and how many are given out. */
  couponPool: (pool: string): ItemKey => ({ pk: `COUPON#${pool}`, sk: 'POOL' }),
  /** One code of a pool, by the number it was loaded with. */
  couponCode: (pool: string, number: number): ItemKey => ({ pk: `COUPON#${pool}`, sk: `CODE#${String(number).padStart(10, '0')}` }),
  /** The code a message got from a pool: the same one however often the message is retried. */
  couponClaim: (pool: string, messageId: string): ItemKey => ({ pk: `COUPON#${pool}`, sk: `MESSAGE#${messageId}` }),
  /** A product of a shop's catalogue, as the latest change made it. */
  product: (shop: string, productId: string): ItemKey => ({ pk: `PRODUCT#${shop}#${productId}`, sk: 'PRODUCT' }),
  /** Shopify's inventory item: which variant it is, and its stock at each location (`loc_<id>`). */
  inventoryItem: (shop: string, inventoryItemId: string): ItemKey => ({ pk: `INVENTORY#${shop}#${inventoryItemId}`, sk: 'ITEM' }),
  /** One person's latest interest in one product (viewed, carted, asked to be told): whom its signals are for. */
  interest: (shop: string, productId: string, profileId: string): ItemKey => ({ pk: `INTEREST#${shop}#${productId}`, sk: `PROFILE#${profileId}` }),
  /** The same interest in the person's partition: what an erasure follows to delete the one above. */
  personInterest: (profileId: string, shop: string, productId: string): ItemKey => ({
    pk: `PROFILE#${profileId}`,
    sk: `${interestKeyPrefix}${shop}#${productId}`,
  }),
  /** How many orders had this product and each other one (`p_<id>`): "bought together". */
  boughtWith: (shop: string, productId: string): ItemKey => ({ pk: `BOUGHTWITH#${shop}#${productId}`, sk: 'COUNTS' }),
  /** How many orders had each product of one category (`p_<id>`); the category "" holds products without one. */
  bestsellers: (shop: string, category: string): ItemKey => ({ pk: `BESTSELLERS#${shop}`, sk: `CATEGORY#${category}` }),
  /** Measurement's counters of one rule, variant and UTC day, in a few shards so no one item is hot. */
  measureCounter: (ruleId: string, day: string, variant: string | undefined, shard: number): ItemKey => ({
    pk: `MEASURE#RULE#${ruleId}`,
    // No variant is an empty suffix: no variant id is empty, so the two never share an item.
    sk: `DAY#${day}#${shard}#${variant ?? ''}`,
  }),
  /** A fact measurement counted (by the hash of its id), so a redelivery or replay never counts twice. */
  measureFact: (factHash: string): ItemKey => ({ pk: `MEASURE#FACT#${factHash}`, sk: 'FACT' }),
  /** Where one counted order's revenue went (by the hash of its key), so refunds take it back from there. */
  measureOrder: (orderHash: string): ItemKey => ({ pk: `MEASURE#ORDER#${orderHash}`, sk: 'ORDER' }),
  /** How far one segment of a recurring rule's run has gone (see services/rules/campaign.ts). */
  campaignCursor: (ruleId: string, dueAt: string, segment: number): ItemKey => ({ pk: `CAMPAIGN#${ruleId}#${dueAt}`, sk: `SEGMENT#${segment}` }),
  /** What measurement keeps of one person: recent messages (for attribution) and experiment windows. */
  personMeasures: (profileId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: 'MEASURES' }),
} as const;

export const decisionKeyPrefix = 'DECISION#';

/** Sort key prefix of a person's interest in a product (see `personInterest`). */
export const interestKeyPrefix = 'INTEREST#';

/** How long a person's decisions are kept for `nudge why`: long enough to ask about last month's campaign. */
export const decisionRetentionSeconds = 30 * 24 * 3600;

/** How long an export a shop asked for is kept for it to hand over (Shopify asks for an answer within 30 days). */
export const privacyExportRetentionSeconds = 30 * 24 * 3600;

/** Every item of a profile shares this partition key (profile, identities, history, rule state). */
export const profilePartition = (profileId: string) => `PROFILE#${profileId}`;

/** How long applied-event markers are kept: longer than any platform retries (Stripe: 3 days). */
export const appliedEventRetentionSeconds = 35 * 24 * 3600;

/**
 * How long the send ledger remembers a message id: longer than any retry or redelivery, and a day
 * longer than the applied-event markers, so a fact announced again while its marker lasts (a late
 * copy of a browsing fact) never finds its message forgotten.
 */
export const ledgerRetentionSeconds = appliedEventRetentionSeconds + 24 * 3600;

/** How long a sent message counts for the caps (the longest cap is a week). */
export const sentRetentionSeconds = 8 * 24 * 3600;

/** How long a dispatcher owns a message it is sending; after that a retry finds it uncertain, not free. */
export const sendLeaseMillis = 300_000;

/**
 * How close to its time a request for a deferred message is retried rather than dropped as a
 * duplicate: the schedule's clock and the dispatcher's may be a little apart.
 */
export const deferralSlackMillis = 60_000;

/** How long trigger state outlives its last change: longer than any window a rule may wait (a year's birthday). */
export const triggerStateRetentionSeconds = 400 * 24 * 3600;

/**
 * DynamoDB's time to live: epoch seconds, as TTL requires, `seconds` after `nowMillis`. Every other
 * time Nudge stores (leases, due times, versions) is in epoch milliseconds.
 */
export function expiresAt(nowMillis: number, seconds: number): number {
  return Math.floor(nowMillis / 1000) + seconds;
}

/** Where every category's bestseller counts of a shop are: one query reads them all. */
export const bestsellersPartition = (shop: string) => `BESTSELLERS#${shop}`;

/** How long measurement remembers a counted fact: longer than the bus archive keeps events to replay. */
export const measureFactRetentionSeconds = 400 * 24 * 3600;
