import { requestFor } from '#services/rules/core/message-request.js';
import { compileRule, Rule } from '#services/rules/core/rule.js';
import { assignVariant } from '#services/rules/core/variants.js';
import type { Profile } from '#shared/events/profile.js';

const variants = [
  { id: 'a', weight: 1 },
  { id: 'b', weight: 3 },
];

const rule = (extra: Record<string, unknown>) =>
  Rule.safeParse({ id: 'r', name: 'R', trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } }, channel: 'email', template: 't', ...extra });

describe('A/B variants of a rule', () => {
  it('gives each person the same variant every time, in proportion to the weights', () => {
    const counts = { a: 0, b: 0 };
    for (let index = 0; index < 8000; index++) {
      const id = assignVariant('win-back', `p-${index}`, variants)?.id as 'a' | 'b';
      expect(assignVariant('win-back', `p-${index}`, variants)?.id).toBe(id);
      counts[id]++;
    }
    expect(counts.a / 8000).toBeGreaterThan(0.23);
    expect(counts.a / 8000).toBeLessThan(0.27);
  });

  it('keeps everyone where they were while the weights stay the same, even when a variant is added at the end with weight 0', () => {
    const paused = [...variants, { id: 'c', weight: 0 }];
    for (let index = 0; index < 500; index++) expect(assignVariant('r', `p-${index}`, paused)?.id).toBe(assignVariant('r', `p-${index}`, variants)?.id);
  });

  it('assigns independently of the holdout and of other rules', () => {
    const same = Array.from(
      { length: 400 },
      (_, index) => assignVariant('one', `p-${index}`, variants)?.id === assignVariant('two', `p-${index}`, variants)?.id,
    );
    expect(same.filter(Boolean).length).toBeLessThan(320);
  });

  it('refuses variants that cannot be told apart or never run, naming the field', () => {
    const issue = (extra: Record<string, unknown>) => {
      const result = rule(extra);
      return result.success ? undefined : result.error.issues.map((found) => `${found.path.join('.')}: ${found.message}`);
    };
    expect(
      rule({
        variants: [
          { id: 'a', weight: 1, subject: 'A' },
          { id: 'b', weight: 1, template: 'u' },
        ],
      }).success,
    ).toBe(true);
    expect(
      issue({
        variants: [
          { id: 'a', weight: 1, subject: 'A' },
          { id: 'a', weight: 1, subject: 'B' },
        ],
      }),
    ).toEqual(['variants.1.id: two variants are called "a"']);
    expect(
      issue({
        variants: [
          { id: 'a', weight: 0, subject: 'A' },
          { id: 'b', weight: 0, subject: 'B' },
        ],
      }),
    ).toEqual(['variants: at least one variant needs a weight above 0']);
    expect(
      issue({
        variants: [
          { id: 'a', weight: 1 },
          { id: 'b', weight: 1, subject: 'B' },
        ],
      }),
    ).toEqual(['variants.0: say what differs: "template", "subject" or "channel"']);
    expect(
      issue({
        variants: [
          { id: 'a', weight: -1, subject: 'A' },
          { id: 'b', weight: 1, subject: 'B' },
        ],
      })?.[0],
    ).toMatch(/^variants.0.weight/);
    expect(
      issue({
        variants: [
          { id: 'a b', weight: 1, subject: 'A' },
          { id: 'b', weight: 1, subject: 'B' },
        ],
      })?.[0],
    ).toMatch(/^variants.0.id/);
    expect(
      issue({
        variants: [
          { id: 'a', weight: 1, channel: 'sms' },
          { id: 'b', weight: 1, subject: 'B' },
        ],
      }),
    ).toEqual(['variants.0.template: a variant on another channel needs a template for that channel']);
    expect(issue({ variants: [{ id: 'a', weight: 1, subject: 'A' }] })?.[0]).toMatch(/^variants/);
  });
});

describe('the message of a rule with variants', () => {
  it("carries the person's variant, with its template, subject or channel in place of the rule's", () => {
    const parsed = Rule.parse({
      id: 'win-back',
      name: 'Win-back',
      trigger: { type: 'event', event: { 'detail-type': ['order.completed'] } },
      channel: 'email',
      template: 'win-back',
      variants: [
        { id: 'subject', weight: 1, subject: 'We miss you' },
        { id: 'text', weight: 1, channel: 'sms', template: 'win-back-sms' },
      ],
    });
    const compiled = compileRule(parsed);
    const profile = { profileId: 'p-1', orderCount: 1, revenue: {}, firstSeenAt: 'x', lastSeenAt: 'x', traitsAt: {} } as unknown as Profile;
    const seen = new Map<string, ReturnType<typeof requestFor>>();
    for (let index = 0; index < 40; index++) {
      const request = requestFor(compiled, { ...profile, profileId: `p-${index}` }, 'ev-1', {}, Date.parse('2026-11-27T10:00:00Z'));
      seen.set(request.variant as string, request);
    }
    expect(seen.get('subject')).toMatchObject({ channel: 'email', template: 'win-back', subject: 'We miss you' });
    expect(seen.get('text')).toMatchObject({ channel: 'sms', template: 'win-back-sms' });
    expect(seen.get('text')).not.toHaveProperty('subject');
  });
});
