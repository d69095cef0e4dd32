import type { z } from 'zod';
import * as CampaignSegment from './campaign-segment.js';
import * as CartUpdated from './cart-updated.js';
import * as CheckoutStarted from './checkout-started.js';
import * as ConsentChanged from './consent-changed.js';
import * as CustomEvent from './custom-event.js';
import * as CustomerUpserted from './customer-upserted.js';
import * as LocationReported from './location-reported.js';
import * as MessageBounced from './message-bounced.js';
import * as MessageClicked from './message-clicked.js';
import * as MessageComplained from './message-complained.js';
import * as MessageDeferred from './message-deferred.js';
import * as MessageDelivered from './message-delivered.js';
import * as MessageFailed from './message-failed.js';
import * as MessageOpened from './message-opened.js';
import * as MessageRequested from './message-requested.js';
import * as MessageSent from './message-sent.js';
import * as MessageSuppressed from './message-suppressed.js';
import * as OrderCancelled from './order-cancelled.js';
import * as OrderCompleted from './order-completed.js';
import * as OrderDelivered from './order-delivered.js';
import * as OrderFulfilled from './order-fulfilled.js';
import * as OrderRefunded from './order-refunded.js';
import * as PageViewed from './page-viewed.js';
import * as PrivacyRequested from './privacy-requested.js';
import * as ProductBackInStock from './product-back-in-stock.js';
import * as ProductPriceDropped from './product-price-dropped.js';
import * as ProductUpdated from './product-updated.js';
import * as ProductViewed from './product-viewed.js';
import * as ProfileMerged from './profile-merged.js';
import * as ProfileUpdated from './profile-updated.js';
import * as ReferralCompleted from './referral-completed.js';
import * as ReviewSubmitted from './review-submitted.js';
import * as StoreVisited from './store-visited.js';
import * as TimerFired from './timer-fired.js';

/** An event contract: where it comes from, what it is called, and the schema of its detail. */
export interface Contract<S extends z.ZodType = z.ZodType> {
  readonly source: string;
  /** The detail-type; one ending in `*` names a family (`custom.*` covers `custom.Song Played`). */
  readonly detailType: string;
  /**
   * The contract's major version, carried in every detail as `contractVersion`. Adding an optional
   * field keeps it; a change a consumer cannot read (a field removed, renamed or retyped) raises it,
   * and a consumer refuses a version newer than its own (to its dead letters, to be redriven once
   * it is deployed) rather than misread it.
   */
  readonly version: number;
  readonly schema: S;
}

export {
  CampaignSegment,
  CartUpdated,
  CheckoutStarted,
  ConsentChanged,
  CustomEvent,
  CustomerUpserted,
  LocationReported,
  MessageBounced,
  MessageClicked,
  MessageComplained,
  MessageDeferred,
  MessageDelivered,
  MessageFailed,
  MessageOpened,
  MessageRequested,
  MessageSent,
  MessageSuppressed,
  OrderCancelled,
  OrderCompleted,
  OrderDelivered,
  OrderFulfilled,
  OrderRefunded,
  PageViewed,
  PrivacyRequested,
  ProductBackInStock,
  ProductPriceDropped,
  ProductUpdated,
  ProductViewed,
  ProfileMerged,
  ProfileUpdated,
  ReferralCompleted,
  ReviewSubmitted,
  StoreVisited,
  TimerFired,
};

/** Canonical customer events: what intake publishes and profiles consumes. */
export type CustomerEventContract =
  | typeof CustomerUpserted
  | typeof ConsentChanged
  | typeof ProductViewed
  | typeof CartUpdated
  | typeof CheckoutStarted
  | typeof OrderCompleted
  | typeof OrderCancelled
  | typeof OrderFulfilled
  | typeof OrderDelivered
  | typeof OrderRefunded
  | typeof LocationReported
  | typeof StoreVisited
  | typeof PageViewed
  | typeof ReviewSubmitted
  | typeof ReferralCompleted
  | typeof CustomEvent;
export const customerEvents: readonly CustomerEventContract[] = [
  CustomerUpserted,
  ConsentChanged,
  ProductViewed,
  CartUpdated,
  CheckoutStarted,
  OrderCompleted,
  OrderCancelled,
  OrderFulfilled,
  OrderDelivered,
  OrderRefunded,
  LocationReported,
  StoreVisited,
  PageViewed,
  ReviewSubmitted,
  ReferralCompleted,
  CustomEvent,
];

/** The message events measurement counts: every step of a message, from the request to the click. */
export const messageEvents: readonly Contract[] = [
  MessageRequested,
  MessageSent,
  MessageSuppressed,
  MessageDeferred,
  MessageFailed,
  MessageDelivered,
  MessageBounced,
  MessageComplained,
  MessageOpened,
  MessageClicked,
];

/** What the catalogue tells shoppers of a product change; each person interested gets it as a profile.updated trigger. */
export const productSignals = [ProductBackInStock, ProductPriceDropped] as const;

/** Every event a rule can be triggered by: the customer events and the product signals. */
export const triggerEvents: readonly Contract[] = [...customerEvents, ...productSignals];

/** Every event on the bus, for the catalogue in the README and for tests. */
export const catalogue: readonly Contract[] = [
  ...customerEvents,
  ProductUpdated,
  ...productSignals,
  PrivacyRequested,
  ProfileUpdated,
  ProfileMerged,
  TimerFired,
  CampaignSegment,
  ...messageEvents,
];

/** Whether a contract covers a detail-type: the same name, or a name of its family. */
export function covers(contract: Contract, detailType: string): boolean {
  if (!contract.detailType.endsWith('*')) return contract.detailType === detailType;
  const prefix = contract.detailType.slice(0, -1);
  return detailType.length > prefix.length && detailType.startsWith(prefix);
}

/** The contract, among these, of an event with this source and detail-type. */
export function findContract<C extends Contract>(contracts: readonly C[], source: unknown, detailType: unknown): C | undefined {
  if (typeof source !== 'string' || typeof detailType !== 'string') return undefined;
  return contracts.find((contract) => contract.source === source && covers(contract, detailType));
}
