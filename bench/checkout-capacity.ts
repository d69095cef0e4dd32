import { randomUUID } from 'node:crypto';
import { localWebhookSecrets } from '../local/runtime.js';
import { type MeteredCall, withMeteredRuntime } from './capacity-meter.js';

export interface FlowCapacity {
  readonly step: string;
  readonly calls: number;
  readonly read: number;
  readonly write: number;
  readonly billedRead: number;
  readonly billedWrite: number;
}

const sum = (calls: readonly MeteredCall[], kind: 'read' | 'write', field: 'units' | 'billed') =>
  calls.filter((call) => call.kind === kind).reduce((total, call) => total + call[field], 0);

/**
 * One checkout and then its order, end to end on the local runtime with the shipped rules:
 * intake's delivery records, the profile writes, and the rules' state and timers, counted at
 * DynamoDB (every call the unchanged services make, through a meter in front of DynamoDB Local).
 */
export async function measureCheckoutCapacity(projectDir: string): Promise<FlowCapacity[]> {
  return withMeteredRuntime(projectDir, async (runtime, meter) => {
    const writeKey = Object.keys(localWebhookSecrets.segment ?? {})[0] as string;
    const track = async (event: string, properties: Record<string, unknown>) => {
      const response = await fetch(`${runtime.httpUrl}/v1/track`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify({
          messageId: randomUUID(),
          timestamp: new Date().toISOString(),
          userId: 'ada@example.com',
          event,
          properties: { email: 'ada@example.com', ...properties },
        }),
      });
      if (response.status !== 200) throw new Error(`${event}: ${response.status} ${await response.text()}`);
      await runtime.idle();
    };
    const products = [{ product_id: 'p1', sku: 'MUG-1', name: 'Mug', price: 12.5, quantity: 2 }];
    const figures: FlowCapacity[] = [];
    const step = async (name: string, run: () => Promise<void>) => {
      const calls = meter.calls;
      calls.length = 0;
      await run();
      figures.push({
        step: name,
        calls: calls.length,
        read: sum(calls, 'read', 'units'),
        write: sum(calls, 'write', 'units'),
        billedRead: sum(calls, 'read', 'billed'),
        billedWrite: sum(calls, 'write', 'billed'),
      });
    };
    await step('checkout.started (new customer; sets the 1-hour reminder timer)', () =>
      track('Checkout Started', { checkout_id: 'chk-1', revenue: 25, currency: 'EUR', products }),
    );
    await step('order.completed for that checkout (cancels the reminder; thank-you; series timers)', () =>
      track('Order Completed', { order_id: 'ord-1', checkout_id: 'chk-1', total: 25, currency: 'EUR', products }),
    );
    return figures;
  });
}
