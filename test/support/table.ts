import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '#shared/adapters/aws-clients.js';
import type { ItemKey } from '#shared/table.js';
import { ensureTable, localDynamoDb, startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { quietFreePort } from '../../local/ports.js';

export interface TestTable {
  readonly client: DynamoDBClient;
  readonly endpoint: string;
  readonly tableName: string;
  /** An item as it is stored, read strongly consistent: what the adapters' own reads do not show. */
  item(key: ItemKey): Promise<Record<string, unknown> | undefined>;
  stop(): Promise<void>;
}

/**
 * A fresh Nudge table (the stack's keys and TTL) on DynamoDB Local, for the tests of one adapter.
 * Mutation testing runs a test file once per mutant: it starts one DynamoDB Local for the whole run
 * and names it in NUDGE_TEST_DYNAMODB_ENDPOINT, and each run gets a table of its own there.
 */
export async function freshTable(): Promise<TestTable> {
  const shared = process.env.NUDGE_TEST_DYNAMODB_ENDPOINT;
  const local = shared === undefined ? await startDynamoDbLocal({ port: await quietFreePort(), dataDir: undefined }) : undefined;
  const endpoint = shared ?? (local?.endpoint as string);
  const tableName = `nudge-test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  const client = localDynamoDb(endpoint);
  const documents = documentClient(client);
  return {
    client,
    endpoint,
    tableName,
    item: async (key) => (await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item,
    stop: async () => {
      if (local !== undefined) await local.stop();
      else await client.send(new DeleteTableCommand({ TableName: tableName })).catch(() => undefined);
      client.destroy();
    },
  };
}
