import { readSesEvent, SesEventRecord } from '#services/dispatch/core/ses-events.js';
import { fixtureJson } from '../support/fixtures.js';

const record = (file: string, change: (detail: Record<string, unknown>) => void = () => undefined) => {
  const envelope = fixtureJson<{ detail: Record<string, unknown> }>(`ses/${file}`);
  change(envelope.detail);
  return SesEventRecord.parse(envelope.detail);
};

describe('SES feedback', () => {
  it('suppresses the address of a hard bounce and reports message.bounced for the message it names', () => {
    const feedback = readSesEvent(record('email-bounced.json'));
    expect(feedback.suppress).toEqual([{ address: 'recipient@example.com', reason: 'bounce' }]);
    expect(feedback.publication?.contract.detailType).toBe('message.bounced');
    expect(feedback.publication?.detail).toEqual({
      messageId: 'msg_0123456789abcdef0123456789abcdef',
      ruleId: 'win-back',
      profileId: 'p-recipient',
      template: 'win-back',
      channel: 'email',
      providerMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      at: '2017-08-05T00:41:02.669Z',
      bounce: { type: 'permanent', subType: 'General' },
    });
  });

  it('does not suppress for a transient bounce (a full mailbox)', () => {
    const feedback = readSesEvent(
      record('email-bounced.json', (detail) => {
        (detail.bounce as Record<string, unknown>).bounceType = 'Transient';
      }),
    );
    expect(feedback.suppress).toEqual([]);
    expect(feedback.publication?.detail).toMatchObject({ bounce: { type: 'transient' } });
  });

  it('suppresses the address of a complaint', () => {
    const feedback = readSesEvent(record('email-complaint-received.json'));
    expect(feedback.suppress).toEqual([{ address: 'recipient@example.com', reason: 'complaint' }]);
    expect(feedback.publication?.contract.detailType).toBe('message.complained');
  });

  it('still suppresses for email Nudge did not send (no tags), and publishes nothing about it', () => {
    const feedback = readSesEvent(
      record('email-bounced.json', (detail) => {
        (detail.mail as Record<string, unknown>).tags = {};
      }),
    );
    expect(feedback.suppress).toHaveLength(1);
    expect(feedback.publication).toBeUndefined();
  });
});
