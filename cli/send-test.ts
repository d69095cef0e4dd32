import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { RenderedEmail } from '#services/dispatch/core/template.js';

/** How a test send is marked: in the subject, where a person sees it, and in a tag and header, where tools do. */
export const testSubject = (subject: string) => `[Test] ${subject}`;

/**
 * Sends a rendered template to one address through SES (the local inbox against `npm start`), as
 * a test: outside the send gate, the ledger and measurement, marked in its subject, a header and an
 * SES tag, and never to the person whose profile filled it in.
 */
export async function sendTest(ses: SESv2Client, email: RenderedEmail, to: string, from: string): Promise<string> {
  const result = await ses.send(
    new SendEmailCommand({
      FromEmailAddress: from,
      Destination: { ToAddresses: [to] },
      EmailTags: [{ Name: 'nudge-test', Value: 'true' }],
      Content: {
        Simple: {
          Subject: { Data: testSubject(email.subject), Charset: 'UTF-8' },
          Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
          Headers: [{ Name: 'X-Nudge-Test', Value: 'true' }],
        },
      },
    }),
  );
  return result.MessageId ?? '';
}
