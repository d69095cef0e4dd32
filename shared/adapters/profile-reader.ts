import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { Profile } from '../events/profile.js';
import { keys } from '../table.js';
import { documentClient } from './aws-clients.js';

/** Most merges a profile id is followed through (a merged profile names its survivor). */
const maxMergeHops = 10;

/** Profiles as the profiles service stored them, read-only: for rules (timers, recurring rules) and dispatch (the person as they are now). */
export class DynamoProfileReader {
  private readonly documents: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tableName: string,
  ) {
    this.documents = documentClient(client);
  }

  async get(profileId: string): Promise<Profile | undefined> {
    let id = profileId;
    for (let hop = 0; hop < maxMergeHops; hop++) {
      const { Item: item } = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.profile(id), ConsistentRead: true }));
      if (item === undefined) return undefined;
      if (typeof item.mergedInto !== 'string') return Profile.parse(item.profile);
      id = item.mergedInto;
    }
    return undefined;
  }

  /** Every live profile, a page at a time: a Scan of profile items only. */
  async *all(): AsyncIterable<Profile> {
    const pages = paginateScan(
      { client: this.documents, pageSize: 500 },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :profile AND attribute_not_exists(mergedInto)',
        ExpressionAttributeValues: { ':profile': keys.profile('x').sk },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = Profile.safeParse(item.profile);
        if (parsed.success) yield parsed.data;
      }
    }
  }
}
