import { createHmac } from 'node:crypto';
import { fail, ok } from '#shared/result.js';
import type { SendResult } from './ses-sender.js';

/** A provider's answer that says it did not take the task: safe to send again. */
export class WebhookRefused extends Error {
  readonly $metadata: { httpStatusCode: number };
  constructor(status: number) {
    super(`The webhook endpoint answered ${status}`);
    this.name = 'WebhookRefused';
    this.$metadata = { httpStatusCode: status };
  }
}

/**
 * The signature of an outgoing task, as the receiver checks it: `t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<body>">` under the outgoing-webhook key, so a receiver can refuse forged and replayed tasks.
 */
export function signTask(key: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', key).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Tasks to the shop's own systems (a call-centre, a CRM) as signed JSON POSTs. */
export class WebhookSender {
  constructor(private readonly key: () => Promise<string>) {}

  async send(url: string, task: Record<string, unknown>): Promise<SendResult> {
    const body = JSON.stringify(task);
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'nudge-signature': signTask(await this.key(), body, Math.floor(Date.now() / 1000)),
        'idempotency-key': String(task.messageId),
      },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return ok(response.headers.get('x-request-id') ?? `${url}#${String(task.messageId)}`);
    // 4xx: the endpoint will never take this task; 429 and 5xx: not now.
    if (response.status >= 400 && response.status < 500 && response.status !== 429)
      return fail({ code: `HTTP${response.status}`, message: await response.text() });
    throw new WebhookRefused(response.status);
  }
}
