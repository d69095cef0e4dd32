import { type EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { z } from 'zod';
import { maxPutEventsBytes, putEventsEntrySize } from '../bus-limits.js';
import { busDetail } from '../events/bus-detail.js';
import type { Contract } from '../events/index.js';

export interface Publication<C extends Contract = Contract> {
  readonly contract: C;
  readonly detail: z.input<C['schema']>;
  /** The concrete detail-type, for a contract that names a family (custom.*). */
  readonly detailType?: string;
}

/** An event as a bus rule's pattern sees it. */
export interface BusEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: unknown;
}

export class PublishError extends Error {
  override readonly name = 'PublishError';
}

/** PutEvents takes at most 10 entries a call. */
const maxEntriesPerCall = 10;

/**
 * Puts events on the bus after checking each against its contract, stamped with the contract's
 * version: a producer can never put an event that its consumers would reject. Throws if any entry
 * was not accepted.
 */
export class BusPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly busName: string,
    /**
     * Whether anything on the bus subscribes to an event as it is put (see `wantedOnBus`): one
     * nothing can match is left out, as EventBridge bills every event put. Everything, if not given.
     */
    private readonly wanted?: (event: BusEvent) => boolean,
  ) {}

  async publish<C extends Contract>(contract: C, detail: z.input<C['schema']>): Promise<void> {
    await this.publishAll([{ contract, detail }]);
  }

  async publishAll(publications: readonly Publication[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = publications
      .map(({ contract, detail, detailType }) => ({
        EventBusName: this.busName,
        Source: contract.source,
        DetailType: detailType ?? contract.detailType,
        Detail: busDetail(contract, detail),
      }))
      .filter((entry) => this.wanted?.({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) }) ?? true);
    for (const batch of requestsOf(entries)) {
      const result = await this.client.send(new PutEventsCommand({ Entries: batch }));
      if ((result.FailedEntryCount ?? 0) > 0) {
        const failures = (result.Entries ?? []).filter((entry) => entry.ErrorCode).map((entry) => `${entry.ErrorCode}: ${entry.ErrorMessage}`);
        throw new PublishError(`EventBridge rejected ${result.FailedEntryCount} of ${batch.length} events: ${failures.join('; ')}`);
      }
    }
  }
}

/** Entries split into PutEvents requests of at most 10 entries and 256 KB each; an entry too large alone is an error no retry fixes. */
export function requestsOf(entries: readonly PutEventsRequestEntry[]): PutEventsRequestEntry[][] {
  const requests: PutEventsRequestEntry[][] = [];
  let current: PutEventsRequestEntry[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = putEventsEntrySize(entry);
    if (size > maxPutEventsBytes) throw new PublishError(`An event of ${size} bytes is over EventBridge's limit of ${maxPutEventsBytes}`);
    if (current.length === maxEntriesPerCall || bytes + size > maxPutEventsBytes) {
      requests.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
