import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import { DynamoProfileReader } from '#shared/adapters/profile-reader.js';
import { keys } from '#shared/table.js';
import { freshTable, type TestTable } from '../support/table.js';

/**
 * The profile reader's scan, as campaign workers use it: parallel segments of the table, each
 * read in chunks that go on from DynamoDB's own key, over a table that holds every kind of item.
 */
describe('profiles read by scan segment and chunk, on DynamoDB Local', () => {
  let table: TestTable;
  let reader: DynamoProfileReader;
  const live = Array.from({ length: 90 }, (_, index) => `p${String(index).padStart(3, '0')}`);

  beforeAll(async () => {
    table = await freshTable();
    reader = new DynamoProfileReader(table.client, table.tableName);
    const documents = documentClient(table.client);
    const profile = (profileId: string) => ({
      profileId,
      email: `${profileId}@example.com`,
      orderCount: 1,
      revenue: {},
      firstSeenAt: '2026-11-01T00:00:00.000Z',
      lastSeenAt: '2026-11-01T00:00:00.000Z',
      traitsAt: {},
    });
    const items = [
      ...live.map((profileId) => ({ ...keys.profile(profileId), version: 1, historySeq: 1, profile: profile(profileId) })),
      // What else the table holds: a person's history and rule state, aliases, a merged profile.
      ...live.map((profileId) => ({ ...keys.history(profileId, 1), event: {} })),
      ...live.map((profileId) => ({ ...keys.alias('email', `${profileId}@example.com`), profileId })),
      ...live.slice(0, 30).map((profileId) => ({ ...keys.ruleState(profileId, 'weekly'), sentAt: 1 })),
      { ...keys.profile('merged-away'), version: 2, mergedInto: 'p000', profile: profile('merged-away') },
    ];
    for (let start = 0; start < items.length; start += 25)
      await documents.send(
        new BatchWriteCommand({ RequestItems: { [table.tableName]: items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } })) } }),
      );
  }, 60_000);
  afterAll(() => table?.stop());

  /** A whole segment, chunk after chunk, as workers take it: the profiles of each chunk. */
  async function segmentInChunks(segment: number, segments: number, limit: number): Promise<string[][]> {
    const chunks: string[][] = [];
    let after: string | undefined;
    do {
      let rest: string | undefined;
      const chunk: string[] = [];
      for await (const profile of reader.all({ segment, segments, limit, ...(after === undefined ? {} : { after }), stopped: (key) => (rest = key) }))
        chunk.push(profile.profileId);
      chunks.push(chunk);
      after = rest;
    } while (after !== undefined && chunks.length < 500);
    return chunks;
  }

  it('reads every live profile exactly once across segments and chunks, and nothing else', async () => {
    const seen: string[] = [];
    for (let segment = 0; segment < 4; segment++) for (const chunk of await segmentInChunks(segment, 4, 5)) seen.push(...chunk);
    expect(seen.sort()).toEqual(live);
  });

  it('stops a chunk once it holds the limit, at a page’s end, and says where to go on', async () => {
    const chunks = await segmentInChunks(0, 1, 10);
    expect(chunks.length).toBeGreaterThan(3);
    // A chunk ends at the first page's end once it holds the limit; pages hold as many items (of every kind) as the limit.
    for (const chunk of chunks.slice(0, -1)) {
      expect(chunk.length).toBeGreaterThanOrEqual(10);
      expect(chunk.length).toBeLessThan(20);
    }
    expect(chunks.at(-1)?.length).toBeLessThan(20);
    expect(chunks.flat().sort()).toEqual(live);
  });

  it('reads every live profile without a scope, as the simulator and a single run do', async () => {
    const all: string[] = [];
    for await (const profile of reader.all()) all.push(profile.profileId);
    expect(all.sort()).toEqual(live);
  });
});
