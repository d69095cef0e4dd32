import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { awsClients } from '../../shared/adapters/aws-clients.js';
import { BusPublisher } from '../../shared/adapters/bus-publisher.js';
import { BusSchedules } from '../../shared/adapters/bus-schedule.js';
import { DynamoProfileReader } from '../../shared/adapters/profile-reader.js';
import { loadConfig } from '../../shared/config.js';
import { parseBusEvent } from '../../shared/events/bus-event.js';
import * as Events from '../../shared/events/index.js';
import { createLogger } from '../../shared/logger.js';
import { loadGeofences, loadRules } from './adapters/rule-files.js';
import { RuleStateStore } from './adapters/rule-state-store.js';
import { SchedulerTimers } from './adapters/scheduler-timers.js';
import { DynamoTriggerStateStore } from './adapters/trigger-state-store.js';
import { RuleIndex } from './core/rule-index.js';
import { type Evaluation, evaluateTimer, evaluateUpdate } from './evaluate-update.js';
import { TriggerEngine } from './triggers.js';

const config = loadConfig(
  z.object({
    EVENT_BUS_NAME: z.string().min(1),
    EVENT_BUS_ARN: z.string().min(1),
    TABLE_NAME: z.string().min(3),
    RULES_DIR: z.string().min(1),
    SCHEDULE_GROUP: z.string().min(1),
    SCHEDULER_ROLE_ARN: z.string().min(1),
    TIMER_DLQ_ARN: z.string().min(1),
  }),
);
const logger = createLogger('rules');
const dynamo = awsClients.dynamoDb();
const publisher = new BusPublisher(awsClients.eventBridge(), config.EVENT_BUS_NAME);
const states = new RuleStateStore(dynamo, config.TABLE_NAME);
const rules = loadRules(config.RULES_DIR);
const index = new RuleIndex(rules);
const engine = new TriggerEngine(rules, {
  states: new DynamoTriggerStateStore(dynamo, config.TABLE_NAME),
  timers: new SchedulerTimers(
    new BusSchedules(awsClients.scheduler(), {
      groupName: config.SCHEDULE_GROUP,
      eventBusArn: config.EVENT_BUS_ARN,
      roleArn: config.SCHEDULER_ROLE_ARN,
      deadLetterQueueArn: config.TIMER_DLQ_ARN,
    }),
  ),
  profiles: new DynamoProfileReader(dynamo, config.TABLE_NAME),
  geofences: loadGeofences(config.RULES_DIR),
});

async function publish(evaluation: Omit<Evaluation, 'deferred'>, context: Record<string, unknown>): Promise<void> {
  if (evaluation.refused.length > 0) logger.info('Rules held back', { ...context, refused: evaluation.refused });
  if (evaluation.requests.length === 0) return;
  logger.info('Rules fired', { ...context, rules: [...new Set(evaluation.requests.map((request) => request.ruleId))], messages: evaluation.requests.length });
  await publisher.publishAll(evaluation.requests.map((request) => ({ contract: Events.MessageRequested, detail: request })));
}

/** Profile updates (event, sequence, place and date rules) and due timers, from one bus. */
async function onEvent(event: unknown): Promise<void> {
  if ((event as { 'detail-type'?: unknown })['detail-type'] === Events.TimerFired.detailType) {
    const { detail } = parseBusEvent(event, Events.TimerFired);
    await publish(await evaluateTimer(engine, states, detail), { timer: detail });
    return;
  }
  const { detail } = parseBusEvent(event, Events.ProfileUpdated);
  const evaluation = await evaluateUpdate(index, engine, states, detail, new Date());
  if (evaluation.deferred.length > 0) logger.info('Rules wait for their send window', { profileId: detail.profileId, rules: evaluation.deferred });
  await publish(evaluation, { profileId: detail.profileId });
}

export const handler = middy(onEvent).use(injectLambdaContext(logger));
