import { GetCommand, paginateScan } from '@aws-sdk/lib-dynamodb';
import { Profile } from '../events/profile.js';
import type { ProfileScanScope } from '../profile-scan.js';
import { keys } from '../table.js';
import { TableItems } from './aws-clients.js';

/** Items a Scan reads per page (of every kind: profile items are some of them); a chunk's pages hold as many items as its profiles, at most this, so a chunk holds under twice its limit. */
const scanPageItems = 1000;

/** Most merges a profile id is followed through (a merged profile names its survivor). */
const maxMergeHops = 10;

/** Profiles as the profiles service stored them, read-only: for rules (timers, recurring rules) and dispatch (the person as they are now). */
export class DynamoProfileReader extends TableItems {
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

  /**
   * Every live profile, a page at a time: a Scan of profile items only. With a scope, one chunk of
   * one parallel scan segment: from `after`, pages until `limit` profiles are read, then the scope
   * is told the key to go on from (pages end on DynamoDB's own keys, so no profile is skipped or
   * read twice between chunks).
   */
  async *all(scope?: ProfileScanScope): AsyncIterable<Profile> {
    const pages = paginateScan(
      {
        client: this.documents,
        pageSize: scope === undefined ? scanPageItems : Math.min(scanPageItems, scope.limit),
        ...(scope?.after === undefined ? {} : { startingToken: JSON.parse(scope.after) }),
      },
      {
        TableName: this.tableName,
        FilterExpression: 'sk = :profile AND attribute_not_exists(mergedInto)',
        ExpressionAttributeValues: { ':profile': keys.profile('x').sk },
        ...(scope === undefined ? {} : { Segment: scope.segment, TotalSegments: scope.segments }),
      },
    );
    let read = 0;
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const parsed = Profile.safeParse(item.profile);
        if (parsed.success) {
          read++;
          yield parsed.data;
        }
      }
      if (scope !== undefined && read >= scope.limit && page.LastEvaluatedKey !== undefined) {
        scope.stopped(JSON.stringify(page.LastEvaluatedKey));
        return;
      }
    }
    scope?.stopped(undefined);
  }
}
