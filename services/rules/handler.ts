import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { BusSchedules, scheduleTargetOf } from '#shared/adapters/bus-schedule.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { DecisionTrail, recorderOf } from '#shared/adapters/decision-trail.js';
import { DynamoProfileReader } from '#shared/adapters/profile-reader.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent } from '#shared/events/bus-event.js';
import * as Events from '#shared/events/index.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { DynamoFiringStore } from './adapters/firing-store.js';
import { SchedulerTimers } from './adapters/scheduler-timers.js';
import { DynamoTriggerStateStore } from './adapters/trigger-state-store.js';
import { RuleEngine } from './engine.js';
import { RulesEnvironment } from './environment.js';
import { recordEvaluation } from './metrics.js';

const env = loadConfig(RulesEnvironment);
const observability = new Observability('rules');
const { logger } = observability;
const project = loadDeployedProject(env);
const dynamo = observability.client(awsClients.dynamoDb(), 'DynamoDB');
const publisher = new BusPublisher(observability.client(awsClients.eventBridge(), 'EventBridge'), env.EVENT_BUS_NAME);
const engine = new RuleEngine(project.rules, {
  states: new DynamoTriggerStateStore(dynamo, env.TABLE_NAME),
  firings: new DynamoFiringStore(dynamo, env.TABLE_NAME),
  timers: new SchedulerTimers(new BusSchedules(observability.client(awsClients.scheduler(), 'Scheduler'), scheduleTargetOf(env))),
  profiles: new DynamoProfileReader(dynamo, env.TABLE_NAME),
  geofences: project.geofences,
});
const decisions = recorderOf(new DecisionTrail(dynamo, env.TABLE_NAME), logger);
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs(), 'SQS'), env.DEAD_LETTER_QUEUE_URL), observability);

/** Profile updates (every kind of rule) and due timers, from one bus: decided by the engine, the messages published. */
async function onEvent(event: unknown): Promise<void> {
  const isTimer = (event as { 'detail-type'?: unknown })['detail-type'] === Events.TimerFired.detailType;
  const evaluation = isTimer
    ? await engine.onTimer(parseBusEvent(event, Events.TimerFired).detail)
    : await engine.onProfileUpdated(parseBusEvent(event, Events.ProfileUpdated).detail, now());
  observability.countEvent('EventsIn', isTimer ? Events.TimerFired.detailType : Events.ProfileUpdated.detailType);
  recordEvaluation(observability, engine.rules, evaluation);
  if (evaluation.refused.length > 0) logger.info('Rules held back', { refused: evaluation.refused });
  if (evaluation.requests.length > 0) {
    logger.info('Rules fired', { rules: [...new Set(evaluation.requests.map((request) => request.ruleId))], messages: evaluation.requests.length });
    await publisher.publishAll(evaluation.requests.map((request) => ({ contract: Events.MessageRequested, detail: request })));
    observability.countEvent('EventsOut', Events.MessageRequested.detailType, evaluation.requests.length);
  }
  // After the messages are on their way: a trail that cannot be written delays nothing.
  await decisions.record(evaluation.trail, now());
}

export const handler = observability.handler(permanentFailures.handling(onEvent));
