import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { type Consumer, consumerNames } from '#shared/topology.js';
import { type BusEnvelope, type DeadLetter, moveDeadLettersToJournal, readDeadLetters } from '../local/event-bus.js';
import { runningOwner } from '../local/runtime.js';
import { UsageError } from './test-pattern.js';

/** One dead letter as the command shows it: which service gave up on which event, when and why. */
export interface DeadLetterLine {
  readonly service: Consumer;
  readonly failedAt: string;
  readonly detailType: string;
  /** The event's own id (eventId, messageId …), as the services know it. */
  readonly eventId: string;
  readonly error: string;
}

export function servicesOf(service: string | undefined): readonly Consumer[] {
  if (service === undefined) return consumerNames;
  const found = consumerNames.find((name) => name === service);
  if (found === undefined) throw new UsageError(`There is no service ${service}; dead letters are kept for ${consumerNames.join(', ')}`);
  return [found];
}

/** A letter as a line, whatever it holds: a letter written by hand or by an older Nudge lists as well as any. */
function lineOf(service: Consumer, letter: DeadLetter): DeadLetterLine {
  const event = (typeof letter.event === 'object' && letter.event !== null ? letter.event : {}) as Partial<BusEnvelope>;
  const detail = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as { eventId?: unknown; messageId?: unknown };
  const eventId = typeof detail.eventId === 'string' ? detail.eventId : typeof detail.messageId === 'string' ? detail.messageId : String(event.id ?? '?');
  return { service, failedAt: String(letter.failedAt), detailType: String(event['detail-type'] ?? '?'), eventId, error: String(letter.error) };
}

/** The dead letters the local runtime keeps in `.local/dlq/`, running or not. */
export function listLocalDeadLetters(dataDir: string, services: readonly Consumer[]): DeadLetterLine[] {
  return services.flatMap((service) => readDeadLetters(dataDir, service).map((letter) => lineOf(service, letter)));
}

export function formatDeadLetters(lines: readonly DeadLetterLine[]): string {
  if (lines.length === 0) return 'No dead letters.';
  // A reason over several lines (a contract's issues, one a line) is indented under its letter.
  return lines
    .map(
      (line) =>
        `${line.service.padEnd(9)} ${line.failedAt}  ${line.detailType.padEnd(20)} ${line.eventId}\n          ${line.error.replaceAll('\n', '\n          ')}`,
    )
    .join('\n');
}

/**
 * Sends the local dead letters of the services back to them, each once. Through the running
 * runtime when it answers (it hands them over at once); otherwise into the journal its next start
 * resumes.
 */
export async function redriveLocal(dataDir: string, awsUrl: string, services: readonly Consumer[]): Promise<{ counts: Record<string, number>; via: string }> {
  const counts: Record<string, number> = {};
  let running = true;
  for (const service of services) {
    if (running) {
      try {
        const response = await fetch(`${awsUrl}/_local/dead-letters/redrive?service=${service}`, { method: 'POST', signal: AbortSignal.timeout(5000) });
        if (!response.ok) throw new UsageError(`The local runtime refused: ${await response.text()}`);
        const body = (await response.json()) as { redriven: Record<string, number> };
        counts[service] = body.redriven[service] ?? 0;
        continue;
      } catch (error) {
        // Only a runtime that is certainly not running is bypassed: its journal is then ours to write.
        if (error instanceof UsageError || !isConnectionRefused(error)) throw error;
        const owner = runningOwner(dataDir);
        if (owner !== undefined)
          throw new UsageError(
            `A local runtime (pid ${owner}) runs on ${dataDir} but nothing answered at ${awsUrl}; give its AWS endpoint with --endpoint (or NUDGE_AWS_PORT)`,
          );
        running = false;
      }
    }
    counts[service] = moveDeadLettersToJournal(dataDir, service, Date.now()).length;
  }
  return { counts, via: running ? `the running runtime at ${awsUrl}` : 'the journal the next npm start resumes' };
}

/** The pid of a live process that runs a local runtime on this data folder, if any. */
function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; errors?: { code?: unknown }[] } } | null)?.cause;
  return cause?.code === 'ECONNREFUSED' || (cause?.errors ?? []).some((inner) => inner.code === 'ECONNREFUSED');
}

/** Where a deployed stack keeps each service's dead letters, from its outputs. */
interface DeployedService {
  readonly deadLetterQueueUrl: string;
  readonly functionName?: string;
  /** For a service fed by a queue (dispatch; rules, for campaign chunks): dead letters go back to the queue, with SQS's own redrive (the rules function reads every kind of its events from there too). */
  readonly sourceQueueArn?: string;
  readonly deadLetterQueueArn?: string;
}

const outputName = (service: Consumer, what: string) => `${service[0]?.toUpperCase()}${service.slice(1)}${what}`;

async function deployedServices(stackName: string): Promise<Map<Consumer, DeployedService>> {
  const { Stacks: stacks = [] } = await new CloudFormationClient({ maxAttempts: 3 }).send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs = new Map((stacks[0]?.Outputs ?? []).map((output) => [output.OutputKey ?? '', output.OutputValue ?? '']));
  const services = new Map<Consumer, DeployedService>();
  for (const service of consumerNames) {
    const deadLetterQueueUrl = outputs.get(outputName(service, 'DeadLetterQueueUrl'));
    if (deadLetterQueueUrl === undefined) continue;
    services.set(service, {
      deadLetterQueueUrl,
      functionName: outputs.get(outputName(service, 'FunctionName')),
      sourceQueueArn: outputs.get(outputName(service, 'QueueArn')),
      deadLetterQueueArn: outputs.get(outputName(service, 'DeadLetterQueueArn')),
    });
  }
  if (services.size === 0) throw new UsageError(`Stack ${stackName} has no dead-letter outputs; deploy this version of Nudge first`);
  return services;
}

/** In AWS: how many dead letters each service's queue holds, and up to ten of them with the error Lambda or EventBridge recorded. */
export async function listAwsDeadLetters(stackName: string, services: readonly Consumer[]): Promise<DeadLetterLine[]> {
  const deployed = await deployedServices(stackName);
  const sqs = new SQSClient({ maxAttempts: 3 });
  const lines: DeadLetterLine[] = [];
  for (const service of services) {
    const queue = deployed.get(service);
    if (queue === undefined) continue;
    // A look, not a take: visibility 0 leaves each message where it is.
    const { Messages: messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queue.deadLetterQueueUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 0,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['SentTimestamp'],
      }),
    );
    for (const message of messages) {
      const event = JSON.parse(message.Body ?? '{}') as { detail?: { eventId?: string; messageId?: string }; 'detail-type'?: string; id?: string };
      const attributes = message.MessageAttributes ?? {};
      lines.push({
        service,
        failedAt: new Date(Number(message.Attributes?.SentTimestamp ?? 0)).toISOString(),
        detailType: event['detail-type'] ?? '?',
        eventId: event.detail?.eventId ?? event.detail?.messageId ?? event.id ?? message.MessageId ?? '?',
        error: attributes.ErrorMessage?.StringValue ?? attributes.ERROR_MESSAGE?.StringValue ?? 'the queue received it more often than its limit',
      });
    }
    const { Attributes: counts } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    const total = Number(counts?.ApproximateNumberOfMessages ?? messages.length);
    if (total > messages.length) lines.push({ service, failedAt: '', detailType: '…', eventId: `${total - messages.length} more`, error: '' });
  }
  return lines;
}

/**
 * In AWS: the dead letters of a service fed by a queue (dispatch, rules) move back to its queue (SQS's own redrive task); the others are
 * handed to their function again as the asynchronous invocation they were, then deleted, one by
 * one, so each is sent back once. The services apply each event once, so a message that comes back
 * twice after a failed delete still counts once.
 */
export async function redriveAws(stackName: string, services: readonly Consumer[]): Promise<Record<string, number | string>> {
  const deployed = await deployedServices(stackName);
  const sqs = new SQSClient({ maxAttempts: 3 });
  const lambda = new LambdaClient({ maxAttempts: 3 });
  const counts: Record<string, number | string> = {};
  for (const service of services) {
    const queue = deployed.get(service);
    if (queue === undefined) continue;
    if (queue.sourceQueueArn !== undefined && queue.deadLetterQueueArn !== undefined) {
      const task = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: queue.deadLetterQueueArn, DestinationArn: queue.sourceQueueArn }));
      counts[service] = `moving back to its queue (task ${task.TaskHandle ?? '?'})`;
      continue;
    }
    if (queue.functionName === undefined) continue;
    let moved = 0;
    for (;;) {
      const { Messages: messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queue.deadLetterQueueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 120, WaitTimeSeconds: 1 }),
      );
      if (messages.length === 0) break;
      for (const message of messages) {
        await lambda.send(new InvokeCommand({ FunctionName: queue.functionName, InvocationType: 'Event', Payload: Buffer.from(message.Body ?? '{}') }));
        await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.deadLetterQueueUrl, ReceiptHandle: message.ReceiptHandle }));
        moved++;
      }
    }
    counts[service] = moved;
  }
  return counts;
}
