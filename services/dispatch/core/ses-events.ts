import { z } from 'zod';
import type { Publication } from '#shared/adapters/bus-publisher.js';
import * as Events from '#shared/events/index.js';

/** The part of an SES event record (event publishing through a configuration set) that Nudge reads. */
const Recipient = z.object({ emailAddress: z.string() });
export const SesEventRecord = z.object({
  eventType: z.string(),
  mail: z.object({
    timestamp: z.string(),
    messageId: z.string(),
    destination: z.array(z.string()).default([]),
    tags: z.record(z.string(), z.array(z.string())).default({}),
  }),
  bounce: z
    .object({
      bounceType: z.string(),
      bounceSubType: z.string().optional(),
      bouncedRecipients: z.array(Recipient).default([]),
      timestamp: z.string().optional(),
    })
    .optional(),
  complaint: z.object({ complainedRecipients: z.array(Recipient).default([]), timestamp: z.string().optional() }).optional(),
  delivery: z.object({ timestamp: z.string().optional() }).optional(),
  open: z.object({ timestamp: z.string().optional() }).optional(),
  click: z.object({ timestamp: z.string().optional(), link: z.string().optional() }).optional(),
});
export type SesEventRecord = z.infer<typeof SesEventRecord>;

export interface Feedback {
  /** Addresses never to mail again, and why. */
  readonly suppress: readonly { readonly address: string; readonly reason: 'bounce' | 'complaint' }[];
  /** What to tell the bus, if the email was one of Nudge's (its tags name the message). */
  readonly publication: Publication | undefined;
}

const bounceTypes = { Permanent: 'permanent', Transient: 'transient' } as const;

/**
 * What an SES event means for Nudge: a permanent bounce or a complaint suppresses the address
 * (whoever sent the email); every event of a Nudge email becomes `message.delivered`, `bounced`,
 * `complained`, `opened` or `clicked`, joined to the message by its tags.
 */
export function readSesEvent(record: SesEventRecord): Feedback {
  const tag = (name: string) => record.mail.tags[name]?.[0];
  const messageId = tag('messageId');
  const ruleId = tag('ruleId');
  const profileId = tag('profileId');
  const template = tag('template');
  const variant = tag('variant');
  const ref =
    messageId && ruleId && profileId && template
      ? { messageId, ruleId, profileId, template, channel: 'email' as const, providerMessageId: record.mail.messageId, ...(variant ? { variant } : {}) }
      : undefined;
  const publish = (publication: Publication): Publication | undefined => (ref ? publication : undefined);
  switch (record.eventType) {
    case 'Bounce': {
      const type = bounceTypes[record.bounce?.bounceType as keyof typeof bounceTypes] ?? 'undetermined';
      return {
        suppress:
          type === 'permanent'
            ? (record.bounce?.bouncedRecipients ?? []).map(({ emailAddress }) => ({ address: emailAddress, reason: 'bounce' as const }))
            : [],
        publication: publish({
          contract: Events.MessageBounced,
          detail: { ...ref, at: record.bounce?.timestamp ?? record.mail.timestamp, bounce: { type, subType: record.bounce?.bounceSubType } },
        }),
      };
    }
    case 'Complaint':
      return {
        suppress: (record.complaint?.complainedRecipients ?? []).map(({ emailAddress }) => ({ address: emailAddress, reason: 'complaint' as const })),
        publication: publish({ contract: Events.MessageComplained, detail: { ...ref, at: record.complaint?.timestamp ?? record.mail.timestamp } }),
      };
    case 'Delivery':
      return {
        suppress: [],
        publication: publish({ contract: Events.MessageDelivered, detail: { ...ref, at: record.delivery?.timestamp ?? record.mail.timestamp } }),
      };
    case 'Open':
      return {
        suppress: [],
        publication: publish({ contract: Events.MessageOpened, detail: { ...ref, at: record.open?.timestamp ?? record.mail.timestamp } }),
      };
    case 'Click':
      return {
        suppress: [],
        publication: publish({
          contract: Events.MessageClicked,
          detail: { ...ref, at: record.click?.timestamp ?? record.mail.timestamp, link: record.click?.link },
        }),
      };
    default:
      return { suppress: [], publication: undefined };
  }
}
