import { type SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { RenderedEmail } from '../core/template.js';

export interface OutgoingEmail extends RenderedEmail {
  readonly from: string;
  readonly to: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Extra headers, such as List-Unsubscribe. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type SendResult = { readonly ok: true; readonly providerMessageId: string } | { readonly ok: false; readonly code: string; readonly message: string };

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
      return { ok: true, providerMessageId: result.MessageId };
    } catch (error) {
      if (error instanceof SESv2ServiceException && permanentErrors.has(error.name)) return { ok: false, code: error.name, message: error.message };
      throw error;
    }
  }
}
