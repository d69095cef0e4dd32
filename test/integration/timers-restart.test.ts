import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../local/runtime.js';
import { clearInbox, inbox, startTestRuntime, type TestRuntime } from '../support/local-runtime.js';
import { shopper } from '../support/shopper.js';

/**
 * Timers are durable: stopping the local runtime with a reminder pending and starting it again
 * on the same data loses nothing, as EventBridge Scheduler and DynamoDB keep them in AWS.
 */
describe('restarting the local runtime with timers pending', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nudge-restart-'));
  let runtime: TestRuntime | undefined;

  afterAll(async () => {
    await runtime?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('sends the abandoned-checkout reminder that was pending when it stopped, once', async () => {
    const ports = { http: await freePort(), inbox: await freePort(), aws: await freePort(), dynamoDb: await freePort() };
    runtime = await startTestRuntime({ restartable: { dataDir, ports } });
    await clearInbox(runtime);
    await shopper(runtime, 'restart@example.com').track('Checkout Started', { checkout_id: 'chk-r', revenue: 12, currency: 'EUR', products: [] });
    await runtime.idle();
    const pending = JSON.parse(readFileSync(join(dataDir, 'schedules.json'), 'utf8')) as { name: string; nextRunAt: number }[];
    expect(pending.filter((schedule) => schedule.name.startsWith('t-abandoned-checkout-'))).toHaveLength(1);
    await runtime.stop();
    runtime = undefined;
    expect(existsSync(join(dataDir, 'schedules.json'))).toBe(true);

    runtime = await startTestRuntime({ restartable: { dataDir, ports } });
    await runtime.advanceClock(61 * 60_000);
    const reminders = (await inbox(runtime)).filter((email) => email.destination.to.some((to) => to.includes('restart@')));
    expect(reminders.map((email) => email.subject)).toEqual(['You left something behind, friend']);
  });
});
