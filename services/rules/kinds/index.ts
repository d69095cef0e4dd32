import { z } from 'zod';
import { EventTrigger, eventKind } from './event.js';
import type { CompiledTrigger, RuleSettings, TriggerKind } from './kind.js';
import { PlaceTrigger, placeKind } from './place.js';
import { SequenceTrigger, sequenceKind } from './sequence.js';
import { TimeTrigger, timeKind } from './time.js';

/** Every trigger kind: its schema here, everything else in its module. */
export const Trigger = z.discriminatedUnion('type', [EventTrigger, SequenceTrigger, TimeTrigger, PlaceTrigger]);
export type Trigger = z.infer<typeof Trigger>;

const kinds: { readonly [K in Trigger['type']]: TriggerKind<Extract<Trigger, { type: K }>> } = {
  event: eventKind,
  sequence: sequenceKind,
  time: timeKind,
  place: placeKind,
};

export function compileTrigger(trigger: Trigger, rule: RuleSettings): CompiledTrigger {
  return (kinds[trigger.type] as TriggerKind<Trigger>).compile(trigger, rule);
}
