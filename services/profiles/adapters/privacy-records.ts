import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { TableItems } from '#shared/adapters/aws-clients.js';
import { expiresAt, keys, privacyExportRetentionSeconds } from '#shared/table.js';

/** One data-subject request as the shop's record keeps it: what was asked and what came of it, without the person's data. */
export interface PrivacyRecord {
  readonly shop: string;
  /** The request's place in the shop's record: when it was received, and its event. */
  readonly requestKey: string;
  readonly request: 'export' | 'erase' | 'erase-shop';
  readonly requestId?: string;
  readonly receivedAt: string;
  readonly doneAt: string;
  /** Profiles found (export) or erased (erase, erase-shop), over every delivery of the request. */
  readonly profiles: number;
  /** Whether an export is waiting to be handed over (`nudge privacy requests --out`). */
  readonly exportKept: boolean;
}

/** The shops' records of data-subject requests, and the exports they are owed. */
export class PrivacyRecords extends TableItems {
  /** Records what a delivery of the request did; a redelivery adds what it did, so a count survives a retry. */
  async record(entry: Omit<PrivacyRecord, 'exportKept' | 'profiles'> & { readonly profiles: number; readonly exported?: unknown }, now: number): Promise<void> {
    if (entry.exported !== undefined) {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...keys.privacyExport(entry.shop, entry.requestKey),
            data: gzipSync(JSON.stringify(entry.exported)),
            ttl: expiresAt(now, privacyExportRetentionSeconds),
          },
        }),
      );
    }
    await this.documents.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: keys.privacyRequest(entry.shop, entry.requestKey),
        // An export counts what it exported, whatever ran before (a retried request exports again);
        // an erasure resumed after a crash adds what it erased this time to what the first run did.
        UpdateExpression: `SET #request = :request, receivedAt = :receivedAt, doneAt = :doneAt, exportKept = :kept, requestId = :requestId${
          entry.request === 'export' ? ', profiles = :profiles' : ' ADD profiles :profiles'
        }`,
        ExpressionAttributeNames: { '#request': 'request' },
        ExpressionAttributeValues: {
          ':request': entry.request,
          ':receivedAt': entry.receivedAt,
          ':doneAt': entry.doneAt,
          ':kept': entry.exported !== undefined,
          ':requestId': entry.requestId ?? null,
          ':profiles': entry.profiles,
        },
      }),
    );
  }

  /** The requests of one shop, or of every shop, oldest first. */
  async list(shop?: string): Promise<PrivacyRecord[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.documents.send(
        shop === undefined
          ? new ScanCommand({
              TableName: this.tableName,
              FilterExpression: 'begins_with(pk, :privacy) AND begins_with(sk, :request)',
              ExpressionAttributeValues: { ':privacy': 'PRIVACY#', ':request': 'REQUEST#' },
              ExclusiveStartKey: start,
            })
          : new QueryCommand({
              TableName: this.tableName,
              KeyConditionExpression: 'pk = :pk AND begins_with(sk, :request)',
              ExpressionAttributeValues: { ':pk': keys.privacyRequest(shop, '').pk, ':request': 'REQUEST#' },
              ExclusiveStartKey: start,
            }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return items
      .map((item) => ({
        shop: String(item.pk).slice('PRIVACY#'.length),
        requestKey: String(item.sk).slice('REQUEST#'.length),
        request: item.request as PrivacyRecord['request'],
        ...(typeof item.requestId === 'string' ? { requestId: item.requestId } : {}),
        receivedAt: String(item.receivedAt),
        doneAt: String(item.doneAt),
        profiles: Number(item.profiles ?? 0),
        exportKept: item.exportKept === true,
      }))
      .sort((a, b) => a.requestKey.localeCompare(b.requestKey));
  }

  /** The export a request produced, while it is kept. */
  async exported(shop: string, requestKey: string): Promise<unknown> {
    const item = await this.documents.send(new GetCommand({ TableName: this.tableName, Key: keys.privacyExport(shop, requestKey) }));
    const data = item.Item?.data;
    return data instanceof Uint8Array ? JSON.parse(gunzipSync(data).toString('utf8')) : undefined;
  }
}
