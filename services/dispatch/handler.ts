import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import middy from '@middy/core';
import { z } from 'zod';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { InvalidEventError, parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { SesEmailSender } from './adapters/ses-sender.js';
import { loadTemplates } from './adapters/template-files.js';
import { decide } from './core/decide.js';
import { renderEmail } from './core/template.js';

const config = loadConfig(
  z.object({
    EVENT_BUS_NAME: z.string().min(1),
    TEMPLATES_DIR: z.string().min(1),
    SENDER_ADDRESS: z.string().min(3),
    SES_CONFIGURATION_SET: z.string().min(1).optional(),
  }),
);
const logger = createLogger('dispatch');
const publisher = new BusPublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
const sender = new SesEmailSender(new SESv2Client({}), config.SES_CONFIGURATION_SET);
const templates = loadTemplates(config.TEMPLATES_DIR);

async function onMessageRequested(event: unknown): Promise<void> {
  const { detail: request } = parseBusEvent(event, Events.MessageRequested);
  const ref = { messageId: request.messageId, ruleId: request.ruleId, profileId: request.profileId, channel: request.channel, template: request.template };
  const decision = decide(request);
  if (decision.kind === 'suppress') {
    await publisher.publish(Events.MessageSuppressed, { ...ref, reason: decision.reason, suppressedAt: new Date().toISOString() });
    return;
  }
  const template = templates.get(request.template);
  if (template === undefined) throw new InvalidEventError(`No template named ${request.template}`);
  const email = await renderEmail(template, { ...request.context, rule: { id: request.ruleId } });
  const result = await sender.send({ ...email, from: config.SENDER_ADDRESS, to: decision.to, tags: { messageId: request.messageId, ruleId: request.ruleId } });
  if (result.ok) {
    await publisher.publish(Events.MessageSent, { ...ref, providerMessageId: result.providerMessageId, sentAt: new Date().toISOString() });
  } else {
    logger.warn('SES refused the email', { messageId: request.messageId, code: result.code });
    await publisher.publish(Events.MessageFailed, { ...ref, error: { code: result.code, message: result.message }, failedAt: new Date().toISOString() });
  }
}

export const handler = middy(onMessageRequested).use(injectLambdaContext(logger));
