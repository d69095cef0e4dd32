import type { Channel, Money } from '#shared/events/common.js';
import { addDecimal, compareDecimal, multiplyDecimal, negateDecimal } from '#shared/money.js';
import type { MeasurementConfig } from './config.js';
import type { Fact, MessageFact } from './facts.js';

const dayMillis = 86_400_000;

/** A message that went to the person: what an order may be attributed to. */
export interface Touch {
  readonly messageId: string;
  readonly ruleId: string;
  readonly variant?: string;
  readonly channel: Channel;
  readonly sentAt: number;
  /** The latest open or click (email). */
  readonly engagedAt?: number;
}

/**
 * A person's time in a rule's experiment: from the first message of the rule (or the first they
 * were held out of) for the holdout window. They count once as a person of their group, convert at
 * most once, and every order in the window adds to their group's revenue.
 */
export interface Episode {
  readonly ruleId: string;
  readonly variant?: string;
  readonly group: 'messaged' | 'holdout';
  readonly startedAt: number;
  readonly until: number;
  readonly converted: boolean;
  /** Revenue of the episode's orders, per currency, for the variance of revenue per person. */
  readonly revenue: Readonly<Record<string, string>>;
}

/** What measurement keeps of one person (one item in the person's partition). */
export interface PersonMeasures {
  readonly touches: readonly Touch[];
  readonly episodes: readonly Episode[];
}

export const emptyPerson: PersonMeasures = { touches: [], episodes: [] };

/** Where one counted order's revenue went, so that its refunds can take it back from the same places. */
export interface OrderRecord {
  readonly total: Money | undefined;
  readonly refunded: string;
  readonly attributed?: { readonly ruleId: string; readonly variant?: string; readonly day: string };
  readonly episodes: readonly { readonly ruleId: string; readonly variant?: string; readonly group: 'messaged' | 'holdout'; readonly day: string }[];
}

/** Counters of one rule, variant and day, added to (decimal strings: DynamoDB adds them exactly). */
export interface Increment {
  readonly ruleId: string;
  readonly variant: string | undefined;
  readonly day: string;
  readonly add: Readonly<Record<string, string>>;
}

/** What counting a fact changes: counters, and the person's and the order's records. */
export interface Plan {
  readonly increments: readonly Increment[];
  /** The person's new measures, when they change. */
  readonly person?: PersonMeasures;
  /** The order's record, when it is new or changes. */
  readonly order?: OrderRecord;
  /** Something a user should hear about (a refund above the order, an unknown message): logged. */
  readonly note?: string;
}

export const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);

/** How many of the latest touches a person keeps: more than any frequency cap lets through in a window. */
const maxTouches = 50;

function keepRecent(person: PersonMeasures, now: number, config: MeasurementConfig): PersonMeasures {
  const longest = Math.max(config.attribution.afterOpenOrClickDays, config.attribution.afterSendDays, config.holdout.windowDays) * dayMillis;
  return {
    touches: person.touches.filter((touch) => Math.max(touch.sentAt, touch.engagedAt ?? 0) + longest >= now).slice(-maxTouches),
    // A day's grace: an order that happened in the window may be processed after it.
    episodes: person.episodes.filter((episode) => episode.until + dayMillis >= now),
  };
}

function startEpisode(
  person: PersonMeasures,
  fact: MessageFact,
  group: Episode['group'],
  config: MeasurementConfig,
): { person: PersonMeasures; started: boolean } {
  const open = person.episodes.some((episode) => episode.ruleId === fact.ruleId && episode.startedAt <= fact.at && fact.at < episode.until);
  if (open) return { person, started: false };
  const episode: Episode = {
    ruleId: fact.ruleId,
    ...(fact.variant === undefined ? {} : { variant: fact.variant }),
    group,
    startedAt: fact.at,
    until: fact.at + config.holdout.windowDays * dayMillis,
    converted: false,
    revenue: {},
  };
  return { person: { ...person, episodes: [...person.episodes, episode] }, started: true };
}

/**
 * A decision after the holdout that did not send now (deferred to the end of quiet hours, capped,
 * failed): the person is in the messaged group all the same, from this moment, as the held-out
 * people are from theirs. Comparing everyone assigned (intent to treat) keeps the groups alike.
 */
function assigned(fact: MessageFact, add: Readonly<Record<string, string>>, person: PersonMeasures | undefined, config: MeasurementConfig): Plan {
  const increments: Increment[] = [{ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add }];
  const episode = startEpisode(keepRecent(person ?? emptyPerson, fact.at, config), fact, 'messaged', config);
  if (episode.started) increments.push({ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { 'messaged:people': one.count } });
  return { increments, person: episode.person };
}

/**
 * The message an order is a conversion of (last touch): among messages sent to the person before
 * the order, those within the send window of their sending, or within the open-or-click window of
 * the person's latest open or click; of these, the one touched last.
 */
export function attributedTouch(touches: readonly Touch[], orderAt: number, config: MeasurementConfig): Touch | undefined {
  let best: { touch: Touch; at: number } | undefined;
  for (const touch of touches) {
    if (touch.sentAt > orderAt) continue;
    const engaged =
      touch.engagedAt !== undefined && touch.engagedAt <= orderAt && orderAt - touch.engagedAt <= config.attribution.afterOpenOrClickDays * dayMillis;
    const sentRecently = orderAt - touch.sentAt <= config.attribution.afterSendDays * dayMillis;
    if (!engaged && !sentRecently) continue;
    const at = engaged ? (touch.engagedAt as number) : touch.sentAt;
    if (best === undefined || at >= best.at) best = { touch, at };
  }
  return best?.touch;
}

const one = { count: '1' } as const;

/**
 * What counting one fact changes. Pure: the person's and the order's records as read, the fact and
 * the configuration in; the counters to add and the records to write out. The store applies a plan
 * in one transaction with the fact's marker, so a fact is counted once or not at all.
 */
export function planFact(fact: Fact, person: PersonMeasures | undefined, order: OrderRecord | undefined, config: MeasurementConfig): Plan {
  switch (fact.kind) {
    case 'deferred':
    case 'failed':
      return assigned(fact, { [fact.kind]: one.count }, person, config);
    case 'requested':
    case 'delivered':
    case 'bounced':
    case 'complained':
      return { increments: [{ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { [fact.kind]: one.count } }] };
    case 'suppressed': {
      // A frequency cap is decided after the holdout: that person was assigned to be messaged.
      if (fact.reason === 'frequency-cap') return assigned(fact, { 'suppressed:frequency-cap': one.count }, person, config);
      const increments: Increment[] = [{ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { [`suppressed:${fact.reason}`]: one.count } }];
      if (fact.reason !== 'holdout') return { increments };
      const current = keepRecent(person ?? emptyPerson, fact.at, config);
      const episode = startEpisode(current, fact, 'holdout', config);
      if (episode.started) increments.push({ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { 'holdout:people': one.count } });
      return { increments, person: episode.person };
    }
    case 'sent': {
      const increments: Increment[] = [{ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { sent: one.count } }];
      const current = keepRecent(person ?? emptyPerson, fact.at, config);
      // An open or click counted before the send (the bus keeps no order) keeps its time.
      const engagedAt = current.touches.find((known) => known.messageId === fact.messageId)?.engagedAt;
      const touch: Touch = {
        messageId: fact.messageId,
        ruleId: fact.ruleId,
        ...(fact.variant === undefined ? {} : { variant: fact.variant }),
        channel: fact.channel,
        sentAt: fact.at,
        ...(engagedAt === undefined ? {} : { engagedAt }),
      };
      const withTouch = {
        ...current,
        touches: [...current.touches.filter((known) => known.messageId !== fact.messageId), touch].sort((a, b) => a.sentAt - b.sentAt),
      };
      const episode = startEpisode(withTouch, fact, 'messaged', config);
      if (episode.started) increments.push({ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(fact.at), add: { 'messaged:people': one.count } });
      return { increments, person: episode.person };
    }
    case 'opened':
    case 'clicked': {
      const current = person ?? emptyPerson;
      const known = current.touches.find((touch) => touch.messageId === fact.messageId);
      // Counted on the day the message went, with its sends, so a day's open rate is of that day's messages.
      const increments: Increment[] = [{ ruleId: fact.ruleId, variant: fact.variant, day: dayOf(known?.sentAt ?? fact.at), add: { [fact.kind]: one.count } }];
      // An open reported before the send was counted (the bus keeps no order) adds the touch from the open's own fields.
      const base: Touch = known ?? {
        messageId: fact.messageId,
        ruleId: fact.ruleId,
        ...(fact.variant === undefined ? {} : { variant: fact.variant }),
        channel: fact.channel,
        sentAt: fact.at,
      };
      const touch = { ...base, engagedAt: Math.max(base.engagedAt ?? 0, fact.at) };
      const touches = [...current.touches.filter((other) => other.messageId !== fact.messageId), touch].sort((a, b) => a.sentAt - b.sentAt);
      return { increments, person: keepRecent({ ...current, touches }, fact.at, config) };
    }
    case 'unsubscribed': {
      const touch = (person ?? emptyPerson).touches.find((known) => known.messageId === fact.messageId);
      if (touch === undefined)
        return { increments: [], note: `unsubscribe through message ${fact.messageId}, which is no longer among the person's recent messages` };
      return { increments: [{ ruleId: touch.ruleId, variant: touch.variant, day: dayOf(fact.at), add: { unsubscribed: one.count } }] };
    }
    case 'order':
      return planOrder(fact, person ?? emptyPerson, config);
    case 'refund':
      return planRefund(fact, order);
    case 'merged':
      // Merges are planned by the store over several people: see mergePeople.
      return { increments: [] };
  }
}

/**
 * Amounts measurement adds up: not negative, at most 12 digits before the point and 4 after, so
 * sums and squares stay within DynamoDB's 38 digits. Anything else is no amount a shop charges.
 */
export function countableAmount(amount: string): boolean {
  return /^\d{1,12}(\.\d{1,4})?$/.test(amount);
}

/** A decimal rounded half up to two places: the sum of squares feeds a variance, not a ledger. */
function roundToCents(value: string): string {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  const cents = BigInt(whole + fraction.padEnd(3, '0').slice(0, 2)) + (Number(fraction[2] ?? '0') >= 5 ? 1n : 0n);
  const text = cents.toString().padStart(3, '0');
  const rounded = `${text.slice(0, -2)}.${text.slice(-2)}`;
  return negative && cents !== 0n ? `-${rounded}` : rounded;
}

function planOrder(fact: Extract<Fact, { kind: 'order' }>, person: PersonMeasures, config: MeasurementConfig): Plan {
  const increments: Increment[] = [];
  const money = fact.total !== undefined && countableAmount(fact.total.amount) ? fact.total : undefined;
  const note =
    fact.total !== undefined && money === undefined
      ? `order ${fact.orderKey} has a total of ${fact.total.amount}, which is no amount to add up: counted without revenue`
      : undefined;
  const revenueOf = (prefix: string): Record<string, string> => (money === undefined ? {} : { [`${prefix}${money.currency}`]: money.amount });
  const touch = attributedTouch(person.touches, fact.at, config);
  if (touch !== undefined)
    increments.push({ ruleId: touch.ruleId, variant: touch.variant, day: dayOf(fact.at), add: { conversions: '1', ...revenueOf('revenue:') } });
  const inWindow: OrderRecord['episodes'][number][] = [];
  // One window per rule counts an order: after a merge a person may hold two open windows of one rule.
  const counting = new Set<string>();
  const episodes = person.episodes.map((episode): Episode => {
    if (!(episode.startedAt <= fact.at && fact.at < episode.until) || counting.has(episode.ruleId)) return episode;
    counting.add(episode.ruleId);
    const day = dayOf(episode.startedAt);
    inWindow.push({ ruleId: episode.ruleId, ...(episode.variant === undefined ? {} : { variant: episode.variant }), group: episode.group, day });
    const add: Record<string, string> = episode.converted ? {} : { [`${episode.group}:converted`]: '1' };
    let revenue = episode.revenue;
    if (money !== undefined) {
      const before = episode.revenue[money.currency] ?? '0';
      const after = addDecimal(before, money.amount);
      add[`${episode.group}:revenue:${money.currency}`] = money.amount;
      // The sum of squares of revenue per person, for the variance: (x + a)² − x².
      add[`${episode.group}:revenueSq:${money.currency}`] = roundToCents(
        addDecimal(multiplyDecimal(after, after), negateDecimal(multiplyDecimal(before, before))),
      );
      revenue = { ...episode.revenue, [money.currency]: after };
    }
    if (Object.keys(add).length > 0) increments.push({ ruleId: episode.ruleId, variant: episode.variant, day, add });
    return { ...episode, converted: true, revenue };
  });
  // An order of someone no message reached changes nothing: nothing to attribute, no window to convert.
  if (touch === undefined && inWindow.length === 0) return note === undefined ? { increments } : { increments, note };
  return {
    increments,
    ...(note === undefined ? {} : { note }),
    ...(inWindow.length > 0 ? { person: { ...person, episodes } } : {}),
    order: {
      total: money,
      refunded: '0',
      ...(touch === undefined
        ? {}
        : { attributed: { ruleId: touch.ruleId, ...(touch.variant === undefined ? {} : { variant: touch.variant }), day: dayOf(fact.at) } }),
      episodes: inWindow,
    },
  };
}

function planRefund(fact: Extract<Fact, { kind: 'refund' }>, order: OrderRecord | undefined): Plan {
  if (order === undefined)
    return { increments: [], note: `refund of order ${fact.orderKey}, which was not counted (no message preceded it, or it predates measurement)` };
  if (order.total === undefined) return { increments: [], note: `refund of order ${fact.orderKey}, whose total was not known` };
  const currency = order.total.currency;
  if (fact.amount !== undefined && !countableAmount(fact.amount.amount))
    return { increments: [], note: `refund of ${fact.amount.amount} ${fact.amount.currency} on order ${fact.orderKey} is no amount to take back: not counted` };
  if (fact.amount !== undefined && fact.amount.currency !== currency)
    return { increments: [], note: `refund of order ${fact.orderKey} in ${fact.amount.currency}; the order was in ${currency}: not counted` };
  const remaining = addDecimal(order.total.amount, negateDecimal(order.refunded));
  const asked = fact.amount?.amount ?? remaining;
  const amount = compareDecimal(asked, remaining) > 0 ? remaining : asked;
  const note =
    compareDecimal(asked, remaining) > 0
      ? `refund of ${asked} ${currency} on order ${fact.orderKey}, above the ${remaining} not yet refunded: counted as ${remaining}`
      : undefined;
  if (compareDecimal(amount, '0') <= 0) return { increments: [], ...(note ? { note } : {}) };
  const increments: Increment[] = [];
  if (order.attributed !== undefined)
    increments.push({
      ruleId: order.attributed.ruleId,
      variant: order.attributed.variant,
      day: order.attributed.day,
      add: { [`refunds:${currency}`]: amount },
    });
  for (const episode of order.episodes)
    increments.push({
      ruleId: episode.ruleId,
      variant: episode.variant,
      day: episode.day,
      add: { [`${episode.group}:revenue:${currency}`]: negateDecimal(amount) },
    });
  return { increments, order: { ...order, refunded: addDecimal(order.refunded, amount) }, ...(note ? { note } : {}) };
}

/** One person's measures after others turned out to be the same person: touches and episodes of all. */
export function mergePeople(survivor: PersonMeasures | undefined, merged: readonly (PersonMeasures | undefined)[]): PersonMeasures {
  const all = [survivor, ...merged].filter((person): person is PersonMeasures => person !== undefined);
  const touches = new Map<string, Touch>();
  for (const touch of all.flatMap((person) => person.touches)) {
    const known = touches.get(touch.messageId);
    touches.set(touch.messageId, known === undefined ? touch : { ...known, engagedAt: Math.max(known.engagedAt ?? 0, touch.engagedAt ?? 0) || undefined });
  }
  return {
    touches: [...touches.values()].sort((a, b) => a.sentAt - b.sentAt).slice(-maxTouches),
    episodes: all.flatMap((person) => person.episodes),
  };
}

/** Adds increments of the same rule, variant and day into one (a transaction touches an item once). */
export function combineIncrements(increments: readonly Increment[]): Increment[] {
  const combined = new Map<string, { ruleId: string; variant: string | undefined; day: string; add: Record<string, string> }>();
  for (const increment of increments) {
    const key = `${increment.ruleId}|${increment.variant ?? ''}|${increment.day}`;
    const entry = combined.get(key) ?? { ruleId: increment.ruleId, variant: increment.variant, day: increment.day, add: {} };
    for (const [name, value] of Object.entries(increment.add)) entry.add[name] = entry.add[name] === undefined ? value : addDecimal(entry.add[name], value);
    combined.set(key, entry);
  }
  return [...combined.values()];
}
