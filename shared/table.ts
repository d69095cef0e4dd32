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

export type IdentityKind = 'email' | 'phone' | 'customer' | 'user' | 'anonymous';

export const keys = {
  profile: (profileId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: 'PROFILE' }),
  /** An identity key (normalised email, `shopify:123` …) pointing at the profile it belongs to. */
  alias: (kind: IdentityKind, value: string): ItemKey => ({ pk: `ALIAS#${kind}#${value}`, sk: 'ALIAS' }),
  /** Marks a customer event as applied to a profile, so a redelivery never counts twice. */
  appliedEvent: (profileId: string, eventId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `APPLIED#${eventId}` }),
  /** What one rule last did for one person: for cooldown and re-entry. */
  ruleState: (profileId: string, ruleId: string): ItemKey => ({ pk: `PROFILE#${profileId}`, sk: `RULE#${ruleId}` }),
} as const;

/** How long applied-event markers are kept: longer than any platform retries (Stripe: 3 days). */
export const appliedEventRetentionSeconds = 35 * 24 * 3600;

export function expiresAt(now: Date, seconds: number): number {
  return Math.floor(now.getTime() / 1000) + seconds;
}
