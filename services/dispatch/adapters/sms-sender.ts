import { type PinpointSMSVoiceV2Client, PinpointSMSVoiceV2ServiceException, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { fail, ok } from '#shared/result.js';
import type { SendResult } from './ses-sender.js';

export interface OutgoingText {
  readonly to: string;
  readonly body: string;
  readonly purpose: 'marketing' | 'transactional';
  readonly tags: Readonly<Record<string, string>>;
}

/** Errors no retry can fix for this text (a number that cannot take it, an opted-out number). */
const permanentErrors = new Set(['ValidationException', 'ConflictException']);

/** Texts through AWS End User Messaging SMS (the pinpoint-sms-voice-v2 API). */
export class SmsSender {
  constructor(
    private readonly client: PinpointSMSVoiceV2Client,
    private readonly originationIdentity: string | undefined,
    private readonly configurationSetName: string | undefined,
  ) {}

  async send(text: OutgoingText): Promise<SendResult> {
    try {
      const result = await this.client.send(
        new SendTextMessageCommand({
          DestinationPhoneNumber: text.to,
          MessageBody: text.body,
          MessageType: text.purpose === 'marketing' ? 'PROMOTIONAL' : 'TRANSACTIONAL',
          OriginationIdentity: this.originationIdentity,
          ConfigurationSetName: this.configurationSetName,
          Context: { ...text.tags },
        }),
      );
      if (!result.MessageId) throw new Error('The SMS was accepted without a MessageId');
      return ok(result.MessageId);
    } catch (error) {
      if (error instanceof PinpointSMSVoiceV2ServiceException && permanentErrors.has(error.name)) return fail({ code: error.name, message: error.message });
      throw error;
    }
  }
}
