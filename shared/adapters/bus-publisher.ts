import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { z } from 'zod';
import type { Contract } from '../events/index.js';

export interface Publication<C extends Contract = Contract> {
  readonly contract: C;
  readonly detail: z.input<C['schema']>;
  /** The concrete detail-type, for a contract that names a family (custom.*). */
  readonly detailType?: string;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

/** PutEvents takes at most 10 entries a call. */
const maxEntriesPerCall = 10;

/**
 * Puts events on the bus after checking each against its contract: a producer can never put
 * an event that its consumers would reject. Throws if any entry was not accepted.
 */
export class BusPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
  ) {}

  async publish<C extends Contract>(contract: C, detail: z.input<C['schema']>): Promise<void> {
    await this.publishAll([{ contract, detail }]);
  }

  async publishAll(publications: readonly Publication[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = publications.map(({ contract, detail, detailType }) => ({
      EventBusName: this.busName,
      Source: contract.source,
      DetailType: detailType ?? contract.detailType,
      Detail: JSON.stringify(contract.schema.parse(detail)),
    }));
    for (let start = 0; start < entries.length; start += maxEntriesPerCall) {
      const batch = entries.slice(start, start + maxEntriesPerCall);
      const result = await this.client.send(new PutEventsCommand({ Entries: batch }));
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failures = (result.Entries ?? []).filter((entry) => entry.ErrorCode).map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage}`);
        throw new PublishError(`EventBridge rejected ${result.FailedEntryCount} of ${batch.length} events: ${failures.join('; ')}`);
      }
    }
  }
}
