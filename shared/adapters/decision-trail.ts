import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Decision, trailEntries } from '../decisions.js';
import { decisionRetentionSeconds, expiresAt, keys } from '../table.js';
import { TableItems } from './aws-clients.js';

/** Where a service puts its decisions: written if it can be, else logged, never a failure of the delivery that decided. */
export interface DecisionRecorder {
  record(decisions: readonly Decision[], now: number): Promise<void>;
}

/** The trail as a service uses it: what cannot be written is logged, and the service goes on. */
export function recorderOf(trail: DecisionTrail, logger: { warn(message: string, details: Record<string, unknown>): void }): DecisionRecorder {
  return {
    async record(decisions, now) {
      if (decisions.length === 0) return;
      try {
        const lost = await trail.record(decisions, now);
        if (lost > 0) logger.warn('Some decisions were not recorded for nudge why', { lost });
      } catch (error) {
        logger.warn('Decisions were not recorded for nudge why', { error: error instanceof Error ? error.message : String(error) });
      }
    },
  };
}

/** Attempts at the items DynamoDB leaves unprocessed (throttling) before they are given up as lost. */
const unprocessedAttempts = 3;

/**
 * A person's decisions in their own partition, an item per evaluation, written in batches of 25
 * (`nudge profile export` and `nudge why` read them with the rest of the partition).
 * The trail explains; it decides nothing, so a write that fails is reported to the caller to log,
 * never a reason to retry the delivery that decided.
 */
export class DecisionTrail extends TableItems {
  /** Writes the decisions; the number DynamoDB would not take after its retries (0 when all went in). */
  async record(decisions: readonly Decision[], now: number): Promise<number> {
    // One item per person and evaluation: a checkout's wait, or an order's five decisions, cost one write.
    const items = trailEntries(decisions).map((entry) => ({
      ...keys.decision(entry.profileId, entry.sortKey),
      decisions: entry.decisions.map(({ profileId: _profileId, ...decision }) => decision),
      ttl: expiresAt(now, decisionRetentionSeconds),
    }));
    let lost = 0;
    for (let start = 0; start < items.length; start += 25) {
      let requests = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        const written = await this.documents.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: requests } }));
        requests = (written.UnprocessedItems?.[this.tableName] ?? []) as typeof requests;
        if (attempt >= unprocessedAttempts) {
          lost += requests.length;
          break;
        }
      }
    }
    return lost;
  }
}
