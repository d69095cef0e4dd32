import { heldP99Millis, measureLoad } from './load.js';

const millis = (value: number) => (Number.isNaN(value) ? '-' : `${Math.round(value).toLocaleString('en-US')} ms`);

/** The latency table of `npm run bench` (alone: `npm run bench:load`). */
export async function printLoad(projectDir: string, rates?: readonly number[]): Promise<void> {
  console.log('\nWebhook → email under a steady load, on the local runtime (all of Nudge and DynamoDB Local in this machine’s 2 cores):');
  console.log('Shopify orders/create webhooks from new customers at a steady rate for 10 s, each answered by the thank-you email;');
  console.log('latency from sending the webhook to dispatch handing the email to the SES emulator. Rate after rate until one is not');
  console.log(`held: a webhook refused, an email not sent within 20 s of the last webhook, or p99 over ${heldP99Millis / 1000} s (a backlog building).`);
  const load = await measureLoad(projectDir, rates);
  console.log(
    `Baseline, same run: a DynamoDB Local GetItem with the real client, one at a time: p50 ${millis(load.dynamoDbP50Millis)}, p99 ${millis(load.dynamoDbP99Millis)}.\n`,
  );
  console.log('orders/s   sent   refused   emailed   p50 webhook → email   p99 webhook → email   held');
  for (const step of load.steps)
    console.log(
      `${String(step.rate).padStart(8)}   ${String(step.sent).padStart(4)}   ${String(step.refused).padStart(7)}   ${String(step.emailed).padStart(7)}   ${millis(step.p50Millis).padStart(19)}   ${millis(step.p99Millis).padStart(19)}   ${step.held ? 'yes' : 'no'}`,
    );
  const held = load.steps.filter((step) => step.held).at(-1);
  console.log(`\nHighest rate held with no loss: ${held === undefined ? 'none of the rates tried' : `${held.rate} orders/s`}.`);
}
