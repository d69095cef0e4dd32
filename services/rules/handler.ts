import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import { z } from 'zod';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { loadRules } from './adapters/rule-files.js';
import { RuleStateStore } from './adapters/rule-state-store.js';
import { RuleIndex } from './core/rule-index.js';
import { evaluateUpdate } from './evaluate-update.js';

const config = loadConfig(z.object({ EVENT_BUS_NAME: z.string().min(1), TABLE_NAME: z.string().min(3), RULES_DIR: z.string().min(1) }));
const logger = createLogger('rules');
const publisher = new BusPublisher(new EventBridgeClient({}), config.EVENT_BUS_NAME);
const states = new RuleStateStore(new DynamoDBClient({}), config.TABLE_NAME);
const index = new RuleIndex(loadRules(config.RULES_DIR));

async function onProfileUpdated(event: unknown): Promise<void> {
  const { detail } = parseBusEvent(event, Events.ProfileUpdated);
  const { requests, refused } = await evaluateUpdate(index, states, detail, new Date());
  if (refused.length > 0) logger.info('Rules held back', { profileId: detail.profileId, refused });
  if (requests.length === 0) return;
  logger.info('Rules fired', { profileId: detail.profileId, rules: requests.map((request) => request.ruleId) });
  await publisher.publishAll(requests.map((request) => ({ contract: Events.MessageRequested, detail: request })));
}

export const handler = middy(onProfileUpdated).use(injectLambdaContext(logger));
