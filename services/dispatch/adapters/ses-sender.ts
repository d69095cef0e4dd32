import { type SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { fail, ok, type Result } from '#shared/result.js';
import type { RenderedEmail } from '../core/template.js';

export interface OutgoingEmail extends RenderedEmail {
  readonly from: string;
  readonly to: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Extra headers, such as List-Unsubscribe. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Why a provider refused a message for good (a retry would be refused the same way). */
export interface SendFailure {
  readonly code: string;
  readonly message: string;
}

/** The provider's id of the message it accepted, or why it refused it for good. */
export type SendResult = Result<string, SendFailure>;

/** SES errors that no retry can fix for this message; anything else is thrown and retried. */
const permanentErrors = new Set(['MessageRejected', 'BadRequestException']);

export class SesEmailSender {
  constructor(
    private readonly client: SESv2Client,
    private readonly configurationSetName: string | undefined,
  ) {}

  async send(email: OutgoingEmail): Promise<SendResult> {
    try {
      const result = await this.client.send(
        new SendEmailCommand({
          FromEmailAddress: email.from,
          Destination: { ToAddresses: [email.to] },
          ConfigurationSetName: this.configurationSetName,
          EmailTags: Object.entries(email.tags).map(([Name, Value]) => ({ Name, Value })),
          Content: {
            Simple: {
              Subject: { Data: email.subject, Charset: 'UTF-8' },
              Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
              Headers: Object.entries(email.headers ?? {}).map(([Name, Value]) => ({ Name, Value })),
            },
          },
        }),
      );
      if (!result.MessageId) throw new Error('SES accepted the email but returned no MessageId');
      return ok(result.MessageId);
    } catch (error) {
      if (error instanceof SESv2ServiceException && permanentErrors.has(error.name)) return fail({ code: error.name, message: error.message });
      throw error;
    }
  }
}
