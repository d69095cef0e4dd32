import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalRuntime, type LocalRuntimeOptions, startLocalRuntime } from '../local/runtime.js';
import { listenOnLoopback, sendOn } from './request-meter.js';

/** Operations that accept ReturnConsumedCapacity, and whether they read or write. */
const operations: Record<string, 'read' | 'write'> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

export interface MeteredCall {
  readonly operation: string;
  readonly kind: 'read' | 'write';
  /** As DynamoDB Local reported them. */
  readonly units: number;
  /** As AWS bills them: transactions count twice, per item (see transactionWriteUnits); a write refused by its condition, one unit. */
  readonly billed: number;
  /** The items a write named (table key `pk|sk`), with their size where the request holds the whole item (a Put). */
  readonly items: readonly WrittenItem[];
  /** Refused (a condition that did not hold, a transaction cancelled): billed all the same. */
  readonly refused: boolean;
}

export interface WrittenItem {
  readonly key: string;
  readonly bytes?: number;
}

/**
 * A pass-through in front of DynamoDB Local that asks for ReturnConsumedCapacity on every call
 * and records what came back, so a benchmark can count the capacity units of whole flows through
 * the unchanged services.
 */
export async function startCapacityMeter(target: string): Promise<{ endpoint: string; calls: MeteredCall[]; stop(): Promise<void> }> {
  const calls: MeteredCall[] = [];
  const upstream = new URL(target);
  const server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      let body = Buffer.concat(chunks);
      const kind = operations[operation];
      if (kind !== undefined) {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        input.ReturnConsumedCapacity = 'TOTAL';
        body = Buffer.from(JSON.stringify(input));
      }
      // The SDK signs its requests; DynamoDB Local does not check signatures, so the body may change.
      const headers = { ...incoming.headers, 'content-length': String(body.length), host: upstream.host };
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers }, (response) => {
        const parts: Buffer[] = [];
        response.on('data', (chunk: Buffer) => parts.push(chunk));
        response.on('end', () => {
          const answer = Buffer.concat(parts);
          if (kind !== undefined && response.statusCode === 200) {
            const parsed = JSON.parse(answer.toString('utf8')) as { ConsumedCapacity?: { CapacityUnits?: number } | { CapacityUnits?: number }[] };
            const consumed = parsed.ConsumedCapacity;
            const units = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []).reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
            calls.push({
              operation,
              kind,
              units,
              billed: operation === 'TransactWriteItems' ? transactionWriteUnits(body) : operation.startsWith('Transact') ? units * 2 : units,
              items: kind === 'write' ? writtenItems(operation, body) : [],
              refused: false,
            });
          } else if (kind === 'write' && response.statusCode === 400 && /ConditionalCheckFailed|TransactionCanceled/.test(answer.toString('utf8'))) {
            // DynamoDB bills a write its condition refused (and a cancelled transaction's items) as if it had been made.
            const items = writtenItems(operation, body);
            calls.push({
              operation,
              kind,
              units: 0,
              billed: operation === 'TransactWriteItems' ? transactionWriteUnits(body) : items.length,
              items,
              refused: true,
            });
          }
          outgoing.writeHead(response.statusCode ?? 500, response.headers);
          outgoing.end(answer);
        });
      });
      sendOn(forward, body, outgoing);
    });
  });
  return { ...(await listenOnLoopback(server)), calls };
}

type AttributeValue = Record<string, unknown>;

/** An attribute value's size as DynamoDB counts it (UTF-8 strings, numbers about a byte per two digits, nesting overhead). */
function valueSize(value: AttributeValue): number {
  const [[type, inner] = ['NULL', true]] = Object.entries(value);
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(inner));
    case 'N':
      return Math.ceil(String(inner).replace(/^-|\./g, '').length / 2) + 1;
    case 'B':
      return Buffer.from(String(inner), 'base64').length;
    case 'SS':
    case 'NS':
    case 'BS':
      return (inner as string[]).reduce((sum, member) => sum + valueSize({ [type.slice(0, 1)]: member }), 0);
    case 'L':
      return 3 + (inner as AttributeValue[]).reduce((sum, member) => sum + 1 + valueSize(member), 0);
    case 'M':
      return 3 + itemSize(inner as Record<string, AttributeValue>);
    default:
      return 1;
  }
}

function itemSize(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

type Keyed = { Item?: Record<string, AttributeValue>; Key?: Record<string, AttributeValue> };

const keyOf = (key: Record<string, AttributeValue>) => `${String(key.pk?.S)}|${String(key.sk?.S)}`;

function writtenItem(request: Keyed | undefined): WrittenItem[] {
  if (request?.Item) return [{ key: keyOf(request.Item), bytes: itemSize(request.Item) }];
  if (request?.Key) return [{ key: keyOf(request.Key) }];
  return [];
}

/** The items a write names: a Put's whole item, an Update's or Delete's key; a ConditionCheck writes nothing. */
function writtenItems(operation: string, body: Buffer): WrittenItem[] {
  const input = JSON.parse(body.toString('utf8')) as Keyed & {
    TransactItems?: { Put?: Keyed; Update?: Keyed; Delete?: Keyed }[];
    RequestItems?: Record<string, { PutRequest?: Keyed; DeleteRequest?: Keyed }[]>;
  };
  if (operation === 'TransactWriteItems') return (input.TransactItems ?? []).flatMap((item) => writtenItem(item.Put ?? item.Update ?? item.Delete));
  if (operation === 'BatchWriteItem')
    return Object.values(input.RequestItems ?? {}).flatMap((requests) =>
      requests.flatMap((request) => writtenItem(request.PutRequest ?? request.DeleteRequest)),
    );
  return writtenItem(input);
}

/**
 * What a TransactWriteItems is billed, by DynamoDB's rules (DynamoDB Local reports 2 for any
 * transaction): two write units per 1 KB of each item. A Put's size is known from the request; an
 * Update, Delete or ConditionCheck is counted at one KB (its stored item is not in the request).
 */
function transactionWriteUnits(body: Buffer): number {
  const input = JSON.parse(body.toString('utf8')) as { TransactItems?: { Put?: { Item: Record<string, AttributeValue> } }[] };
  return (input.TransactItems ?? []).reduce((sum, item) => sum + 2 * Math.max(1, Math.ceil((item.Put ? itemSize(item.Put.Item) : 0) / 1024)), 0);
}

/**
 * Runs `work` on a fresh local runtime whose DynamoDB calls all pass the meter (quiet logs, data in
 * a temporary folder), then stops it and removes the folder.
 */
export async function withMeteredRuntime<T>(
  projectDir: string,
  work: (runtime: LocalRuntime, meter: { readonly endpoint: string; readonly calls: MeteredCall[] }) => Promise<T>,
  options: Pick<LocalRuntimeOptions, 'awsFront' | 'sesFront' | 'wrapFunction' | 'onScheduleFired'> & {
    /** Variables the functions read at cold start (default: quiet logs). */
    readonly environment?: Readonly<Record<string, string>>;
  } = {},
): Promise<T> {
  let meter: Awaited<ReturnType<typeof startCapacityMeter>> | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'nudge-bench-'));
  const environment = options.environment ?? { POWERTOOLS_LOG_LEVEL: 'ERROR' };
  const previous = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
  Object.assign(process.env, environment);
  const runtime = await startLocalRuntime({
    ...options,
    httpPort: 0,
    inboxPort: 0,
    awsPort: 0,
    dynamoDbPort: 0,
    dataDir,
    persist: false,
    projectDir,
    log: () => undefined,
    dynamoDbFront: async (endpoint) => {
      meter = await startCapacityMeter(endpoint);
      return meter;
    },
  });
  try {
    if (meter === undefined) throw new Error('The capacity meter did not start');
    return await work(runtime, meter);
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(previous)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}
