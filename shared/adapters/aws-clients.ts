import { ConditionalCheckFailedException, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { PinpointSMSVoiceV2Client } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';

/**
 * Every AWS client the services make, with its retries chosen on purpose rather than left to the
 * SDK's default (3 attempts for everything):
 *
 * - Calls that are safe to repeat keep the SDK's retries: DynamoDB (reads; conditional writes
 *   carry a claim token so a retried write recognises its own first attempt; transactions carry
 *   the SDK's idempotency token), EventBridge PutEvents (every event carries a stable id and its
 *   consumers apply an id once), Scheduler (schedule names are deterministic) and Secrets Manager.
 * - Calls that deliver something to a person are made exactly once: SES and End User Messaging.
 *   A retried SendEmail whose first answer was lost sends a second email; the send-once ledger is
 *   the only place that decides whether a message is tried again.
 */
export const retryableAttempts = 3;
export const deliveryAttempts = 1;

export const awsClients = {
  dynamoDb: (config: DynamoDBClientConfig = {}) => new DynamoDBClient({ maxAttempts: retryableAttempts, ...config }),
  eventBridge: () => new EventBridgeClient({ maxAttempts: retryableAttempts }),
  scheduler: () => new SchedulerClient({ maxAttempts: retryableAttempts }),
  secretsManager: () => new SecretsManagerClient({ maxAttempts: retryableAttempts }),
  sqs: () => new SQSClient({ maxAttempts: retryableAttempts }),
  ses: () => new SESv2Client({ maxAttempts: deliveryAttempts }),
  sms: () => new PinpointSMSVoiceV2Client({ maxAttempts: deliveryAttempts }),
} as const;

/**
 * The one way Nudge talks to its table in plain objects: attributes left undefined are not written
 * (a state with no place, a profile without a birthday), so no caller needs to strip them.
 * `exactNumbers` reads numbers as strings-in-wrappers, for money that must not pass through a float.
 * The SDK keeps these options on the DynamoDBClient's config, shared by every document client made
 * from it, the last one winning: a store with other options needs a DynamoDBClient of its own.
 */
export function documentClient(client: DynamoDBClient, options: { readonly exactNumbers?: boolean } = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: options.exactNumbers ?? false },
  });
}

/** Items of the one table, read and written through the document client: what every table adapter starts from. */
export abstract class TableItems {
  protected readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    protected readonly tableName: string,
  ) {
    this.documents = documentClient(client);
  }

  /** A conditional write sent: false when its condition refused it (nothing written), any other error thrown. */
  protected async written(send: () => Promise<unknown>): Promise<boolean> {
    try {
      await send();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

/**
 * Whether a failed AWS call was refused by the service (an error status: it did not carry the
 * request out), as opposed to no answer or a success whose body was lost (a timeout, a reset
 * connection, a 200 cut off mid-body: the request may have been carried out). The SDK sets
 * `$metadata` on all of them, and the status of a cut-off 200 too, so only an error status counts.
 */
export function serviceAnswered(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 400;
}

/** Every item of one partition, page by page (a query follows `LastEvaluatedKey` until the end). */
export async function* partitionItems(
  documents: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  options: { readonly consistent?: boolean } = {},
): AsyncIterable<Record<string, unknown>> {
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        ...(options.consistent ? { ConsistentRead: true } : {}),
        ExclusiveStartKey: start,
      }),
    );
    yield* page.Items ?? [];
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
}
