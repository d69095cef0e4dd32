import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

/** Where a consumer puts what it can never process, with the reason, for an operator to read and redrive. */
export interface DeadLetters {
  send(body: string, reason: string): Promise<void>;
}

/** SQS caps a message attribute with the body at 256 KiB; a reason is a sentence, and a long one is cut. */
const maxReasonLength = 2000;

/**
 * A consumer's dead-letter queue in SQS. The message is what Lambda itself would put there after
 * its retries (the event as its body, `ErrorCode` and `ErrorMessage` attributes), so `nudge dlq`
 * reads and redrives both the same way.
 */
export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(body: string, reason: string): Promise<void> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: body,
        MessageAttributes: {
          ErrorCode: { DataType: 'String', StringValue: 'PermanentError' },
          ErrorMessage: { DataType: 'String', StringValue: reason.slice(0, maxReasonLength) },
        },
      }),
    );
  }
}
