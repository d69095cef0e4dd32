import { copyOfProject, writeRule } from './fixtures.js';
import { inbox, startTestRuntime, type TestRuntime } from './local-runtime.js';
import { shopper } from './shopper.js';

/** 09:00 three days after today (real time, the clock a test runtime starts at): a time still to come in every zone. */
export const broadcastTime = (): string => `${new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10)}T09:00`;

/** The local runtime with this broadcast rule in a copy of the project, and small campaign shares (two segments). */
export async function startWithBroadcast(rule: { readonly id: string } & Record<string, unknown>): Promise<TestRuntime> {
  const project = copyOfProject();
  writeRule(project, { channel: 'email', template: 'we-miss-you', ...rule });
  process.env.CAMPAIGN_SEGMENTS = '2';
  return startTestRuntime({ projectDir: project });
}

export async function stopBroadcastRuntime(runtime: TestRuntime | undefined): Promise<void> {
  delete process.env.CAMPAIGN_SEGMENTS;
  await runtime?.stop();
}

/** Who got the broadcast's email (the we-miss-you template), one entry per email. */
export async function broadcastRecipients(runtime: TestRuntime): Promise<(string | undefined)[]> {
  return (await inbox(runtime))
    .filter((email) => email.subject.startsWith('A little something for you'))
    .map((email) => email.destination.to[0]?.replace(/^.*<|>$/g, ''));
}

/** A customer who has ordered (so the shop may email them), in a time zone or none. */
export async function customerIn(runtime: TestRuntime, email: string, timezone: string | undefined): Promise<void> {
  await shopper(runtime, email).identify({ first_name: 'Ada' }, timezone === undefined ? {} : { timezone });
  await shopper(runtime, email).track('Order Completed', { order_id: `o-${email}`, total: 20, currency: 'EUR' });
}
