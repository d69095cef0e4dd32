import * as Events from './events/index.js';

/**
 * Who listens to what on the bus. The CDK stack builds its EventBridge rules from this list and
 * the local runtime routes with it, so the two cannot disagree.
 */
export const busName = 'nudge';

export type Consumer = 'profiles' | 'rules' | 'dispatch';

export interface Subscription {
  /** Stable id: the CDK construct id of the bus rule. */
  readonly id: string;
  readonly consumer: Consumer;
  readonly description: string;
  readonly pattern: Record<string, unknown>;
}

const on = (...contracts: readonly Events.Contract[]) => {
  const sources = [...new Set(contracts.map((contract) => contract.source))];
  return { source: sources, 'detail-type': contracts.map((contract) => contract.detailType) };
};

export const subscriptions: readonly Subscription[] = [
  {
    id: 'CustomerEventsToProfiles',
    consumer: 'profiles',
    description: 'Canonical customer events from intake update the profile',
    pattern: on(...Events.customerEvents),
  },
  {
    id: 'ProfileUpdatesToRules',
    consumer: 'rules',
    description: 'Each applied customer event, with the profile after it, is evaluated against the rules',
    pattern: on(Events.ProfileUpdated),
  },
  {
    id: 'MessageRequestsToDispatch',
    consumer: 'dispatch',
    description: 'Requested messages are rendered and sent',
    pattern: on(Events.MessageRequested),
  },
];
