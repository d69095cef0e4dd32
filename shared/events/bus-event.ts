import { z } from 'zod';
import { PermanentError } from '../result.js';
import { type Contract, findContract } from './index.js';

/** The envelope EventBridge wraps every detail in when it invokes a target. */
export const EventBridgeEnvelope = z.object({
  version: z.string(),
  id: z.string(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  time: z.string(),
  region: z.string(),
  resources: z.array(z.string()),
  detail: z.unknown(),
});
export type EventBridgeEnvelope = z.infer<typeof EventBridgeEnvelope>;

/** An event that can never be processed (wrong shape, wrong contract): it goes to the consumer's dead letters at once. */
export class InvalidEventError extends PermanentError {}

/** Checks the envelope and the detail against one of the given contracts. */
export function parseBusEvent<C extends Contract>(
  event: unknown,
  ...contracts: readonly C[]
): { contract: C; detailType: string; detail: z.output<C['schema']>; envelope: EventBridgeEnvelope } {
  const envelope = EventBridgeEnvelope.safeParse(event);
  if (!envelope.success) throw new InvalidEventError(`Not an EventBridge event: ${z.prettifyError(envelope.error)}`);
  const { source, 'detail-type': detailType } = envelope.data;
  const contract = findContract(contracts, source, detailType);
  if (contract === undefined) throw new InvalidEventError(`Unexpected event ${source} / ${detailType}`);
  const version = contractVersionOf(envelope.data.detail);
  if (version > contract.version) {
    throw new InvalidEventError(
      `${detailType} is contract version ${version}, newer than this consumer reads (${contract.version}): deploy the consumer, then redrive its dead letters`,
    );
  }
  const detail = contract.schema.safeParse(envelope.data.detail);
  if (!detail.success) throw new InvalidEventError(`Invalid ${detailType} detail: ${z.prettifyError(detail.error)}`);
  return { contract, detailType, detail: detail.data as z.output<C['schema']>, envelope: envelope.data };
}

/** The version a detail says it is written in; one written before versions were stamped is version 1. */
function contractVersionOf(detail: unknown): number {
  const version = (detail as { contractVersion?: unknown } | null)?.contractVersion;
  return typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : 1;
}
