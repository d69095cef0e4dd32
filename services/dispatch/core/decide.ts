import type { MessageRequested } from '../../../shared/events/message-requested.js';
import type { SuppressionReason } from '../../../shared/events/message-suppressed.js';

export type DispatchDecision = { readonly kind: 'send'; readonly to: string } | { readonly kind: 'suppress'; readonly reason: SuppressionReason };

/** Whether a requested message can go out, and to which address. */
export function decide(request: MessageRequested): DispatchDecision {
  const to = request.context.profile.email;
  if (to === undefined) return { kind: 'suppress', reason: 'no-address' };
  return { kind: 'send', to };
}
