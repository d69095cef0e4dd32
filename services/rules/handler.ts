import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { PartialItemFailureResponse } from '@aws-lambda-powertools/batch/types';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { loadDeployedProject } from '#project/load-project.js';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { BusPublisher } from '#shared/adapters/bus-publisher.js';
import { BusSchedules, scheduleTargetOf } from '#shared/adapters/bus-schedule.js';
import { SqsDeadLetters } from '#shared/adapters/dead-letters.js';
import { DecisionTrail, recorderOf } from '#shared/adapters/decision-trail.js';
import { DynamoProfileReader } from '#shared/adapters/profile-reader.js';
import { now } from '#shared/clock.js';
import { loadConfig } from '#shared/config.js';
import { parseBusEvent, parseRecordBody } from '#shared/events/bus-event.js';
import type { CampaignSegment } from '#shared/events/campaign-segment.js';
import * as Events from '#shared/events/index.js';
import type { TimerFired } from '#shared/events/timer-fired.js';
import { Observability } from '#shared/observability.js';
import { PermanentFailures } from '#shared/permanent-failures.js';
import { DynamoCampaignCursors } from './adapters/campaign-cursors.js';
import { DynamoFiringStore } from './adapters/firing-store.js';
import { SchedulerTimers } from './adapters/scheduler-timers.js';
import { DynamoTriggerStateStore } from './adapters/trigger-state-store.js';
import { campaignShares, nextShare, segmentEnd, shareStep } from './campaign.js';
import { isActive } from './core/rule.js';
import { type Evaluation, RuleEngine } from './engine.js';
import { RulesEnvironment } from './environment.js';
import { nextWave } from './kinds/time.js';
import { recordEvaluation } from './metrics.js';

const env = loadConfig(RulesEnvironment);
const observability = new Observability('rules');
const { logger } = observability;
const project = loadDeployedProject(env);
const dynamo = observability.client(awsClients.dynamoDb());
const publisher = new BusPublisher(observability.client(awsClients.eventBridge()), env.EVENT_BUS_NAME);
const timers = new SchedulerTimers(new BusSchedules(observability.client(awsClients.scheduler()), scheduleTargetOf(env)));
const engine = new RuleEngine(project.rules, {
  states: new DynamoTriggerStateStore(dynamo, env.TABLE_NAME),
  firings: new DynamoFiringStore(dynamo, env.TABLE_NAME),
  timers,
  profiles: new DynamoProfileReader(dynamo, env.TABLE_NAME),
  geofences: project.geofences,
});
const cursors = new DynamoCampaignCursors(dynamo, env.TABLE_NAME);
const decisions = recorderOf(new DecisionTrail(dynamo, env.TABLE_NAME), logger);
const permanentFailures = new PermanentFailures(new SqsDeadLetters(observability.client(awsClients.sqs()), env.DEAD_LETTER_QUEUE_URL), observability);

/** What an evaluation asks for goes out: the messages, then the decisions behind them. */
async function deliver(evaluation: Evaluation): Promise<void> {
  recordEvaluation(observability, engine.rules, evaluation);
  if (evaluation.refused.length > 0) logger.info('Rules held back', { refused: evaluation.refused });
  if (evaluation.requests.length > 0) {
    logger.info('Rules fired', { rules: [...new Set(evaluation.requests.map((request) => request.ruleId))], messages: evaluation.requests.length });
    await publisher.publishAll(evaluation.requests.map((request) => ({ contract: Events.MessageRequested, detail: request })));
  }
  // After the messages are on their way: a trail that cannot be written delays nothing.
  await decisions.record(evaluation.trail, now());
}

/**
 * A recurring rule's run, fanned out: one campaign.segment per parallel scan segment, for the
 * campaign workers (this function, from its queue) to take at once.
 */
async function startCampaign(timer: Extract<TimerFired, { kind: 'recurring' }>): Promise<void> {
  const rule = engine.rules.find((candidate) => candidate.rule.id === timer.ruleId && candidate.rule.enabled);
  if (rule === undefined) return;
  // A broadcast's waves: each schedules the next before it runs, active or not (the stack makes only
  // the first, so a broadcast is one resource of the stack whatever its waves). A run that comes
  // late (a retry, a redriven dead letter) schedules a wave already due: the waves it held up follow,
  // a minute apart, each deciding at its own time, so nobody of theirs is left out.
  const next = nextWave(rule.trigger.schedule, Date.parse(timer.dueAt));
  if (next !== undefined) await timers.scheduleRun({ ruleId: timer.ruleId, dueAt: next });
  if (!isActive(rule, Date.parse(timer.dueAt))) return;
  await publisher.publishAll(campaignShares(timer, env.CAMPAIGN_SEGMENTS).map((detail) => ({ contract: Events.CampaignSegment, detail })));
  logger.info('Campaign started', { ruleId: timer.ruleId, dueAt: timer.dueAt, segments: env.CAMPAIGN_SEGMENTS });
}

/**
 * One chunk of a campaign's segment, if the segment's cursor points at it: its people decided and
 * their messages out, then the cursor moved on, then the rest of the segment put back as the next
 * share. A crash before the cursor moves runs the chunk again (the same message ids); after it,
 * the share's next delivery only puts the next one back.
 */
async function runCampaignChunk(share: CampaignSegment): Promise<void> {
  const step = shareStep(share, await cursors.read(share));
  if (step.kind === 'drop') {
    logger.info('Campaign share already done', { ruleId: share.ruleId, dueAt: share.dueAt, segment: share.segment });
    return;
  }
  if (step.kind === 'put-next') {
    await publisher.publish(Events.CampaignSegment, step.next);
    return;
  }
  let rest: string | undefined;
  const evaluation = await engine.onTimer(
    { kind: 'recurring', ruleId: share.ruleId, dueAt: share.dueAt },
    {
      segment: share.segment,
      segments: share.segments,
      ...(share.after === undefined ? {} : { after: share.after }),
      limit: env.CAMPAIGN_CHUNK_PROFILES,
      stopped: (after) => {
        rest = after;
      },
    },
  );
  await deliver(evaluation);
  const next = nextShare(share, rest);
  if ((await cursors.advance(share, next?.after ?? segmentEnd, now())) === 'lost') return;
  if (next !== undefined) await publisher.publish(Events.CampaignSegment, next);
}

/** Profile updates (every kind of rule), due timers and campaign chunks, from one bus: decided by the engine, the messages published. */
async function onEvent(event: unknown): Promise<void> {
  const detailType = (event as { 'detail-type'?: unknown })['detail-type'];
  if (detailType === Events.CampaignSegment.detailType) {
    observability.countIn(Events.CampaignSegment.detailType);
    return runCampaignChunk(parseBusEvent(event, Events.CampaignSegment).detail);
  }
  if (detailType === Events.TimerFired.detailType) {
    const timer = parseBusEvent(event, Events.TimerFired).detail;
    observability.countIn(Events.TimerFired.detailType);
    return timer.kind === 'recurring' ? startCampaign(timer) : deliver(await engine.onTimer(timer));
  }
  const evaluation = await engine.onProfileUpdated(parseBusEvent(event, Events.ProfileUpdated).detail, now());
  await deliver(evaluation);
}

const onEventOnce = permanentFailures.handling(onEvent);

/**
 * Events straight from the bus, and campaign chunks from the rules queue in batches: a chunk that
 * fails is reported back alone (partial batch failure) and received again from the same key.
 */
export const handler = observability.handler(
  (event: unknown): Promise<PartialItemFailureResponse | undefined> =>
    typeof event === 'object' && event !== null && 'Records' in event
      ? processPartialResponse(
          event as SQSEvent,
          (record: SQSRecord) =>
            permanentFailures.run(
              () => record.body,
              () => onEvent(parseRecordBody(record.body)),
            ),
          // A processor per batch: it holds the batch's failures while it runs, and batches may run side by side in one process.
          new BatchProcessor(EventType.SQS),
          { processInParallel: false, throwOnFullBatchFailure: false },
        )
      : onEventOnce(event).then(() => undefined),
);
