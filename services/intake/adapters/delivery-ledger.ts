import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { deliveryLeaseMillis, deliveryRetentionSeconds, expiresAt, keys } from '#shared/table.js';

export type Claim = 'claimed' | 'duplicate' | 'in-progress';

/**
 * Which platform deliveries intake has published. A delivery is claimed before its events are
 * published and marked done after, so a retry or a concurrent duplicate publishes nothing, and a
 * delivery whose publishing failed (or whose owner crashed) can be claimed again.
 */
export class DeliveryLedger {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = documentClient(client);
  }

  async claim(deliveryId: string, now: number): Promise<Claim> {
    // The SDK may repeat this write when an answer is lost; the token tells our own first write from someone else's.
    const token = randomUUID();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.delivery(deliveryId),
            state: 'pending',
            claim: token,
            leaseUntil: now + deliveryLeaseMillis,
            expiresAt: expiresAt(now, deliveryRetentionSeconds),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :pending AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending', ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Stryker disable next-line OptionalChaining: the condition fails only on an existing item, which ALL_OLD returns.
      if (error.Item?.claim?.S === token) return 'claimed';
      // Stryker disable next-line OptionalChaining: as above.
      return error.Item?.state?.S === 'published' ? 'duplicate' : 'in-progress';
    }
  }

  async complete(deliveryId: string): Promise<void> {
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.delivery(deliveryId),
        UpdateExpression: 'SET #state = :published REMOVE leaseUntil',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':published': 'published' },
      }),
    );
  }

  /** Gives a claim back after publishing failed, so the platform's retry can claim it at once. */
  async release(deliveryId: string): Promise<void> {
    await this.documents
      .send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: keys.delivery(deliveryId),
          ConditionExpression: '#state = :pending',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':pending': 'pending' },
        }),
      )
      .catch((error) => {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      });
  }
}
