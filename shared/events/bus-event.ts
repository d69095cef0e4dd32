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

/**
 * An event of a contract version newer than this consumer reads: not broken, just early. It waits
 * in the dead letters for the consumer that reads it (deploy, then redrive), so nothing reports
 * it as failed for good.
 */
export class NewerContractError extends InvalidEventError {}

/** A queue record's body as JSON; a body that is not JSON breaks the contract like any other malformed event. */
export function parseRecordBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError(`The record's body is not JSON: ${(error as Error).message}`);
  }
}

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
  if (version === undefined) throw new InvalidEventError(`${detailType} has a contractVersion that is not a whole number from 1 up`);
  if (version > contract.version) {
    throw new NewerContractError(
      `${detailType} is contract version ${version}, newer than this consumer reads (${contract.version}): deploy the consumer, then redrive its dead letters`,
    );
  }
  const detail = contract.schema.safeParse(envelope.data.detail);
  if (!detail.success) throw new InvalidEventError(`Invalid ${detailType} detail: ${z.prettifyError(detail.error)}`);
  return { contract, detailType, detail: detail.data as z.output<C['schema']>, envelope: envelope.data };
}

/** The version a detail says it is written in (one written before versions were stamped is version 1), or undefined for a stamp that is no version. */
function contractVersionOf(detail: unknown): number | undefined {
  if (typeof detail !== 'object' || detail === null || !('contractVersion' in detail)) return 1;
  const version = detail.contractVersion;
  return typeof version === 'number' && Number.isInteger(version) && version > 0 ? version : undefined;
}
