import { setTimeout as sleep } from 'node:timers/promises';
import { PermanentError } from '#shared/result.js';

/** What BigCommerce answered: the body, or that the resource is gone (deleted since the webhook). */
export type ApiAnswer = { readonly kind: 'found'; readonly body: unknown } | { readonly kind: 'gone' };

/** A store's token is wrong or lacks a scope: no retry mends it; the event waits in the dead letters for a fixed token. */
export class BigCommerceAccessError extends PermanentError {}

/** How long to wait for a 429 at most before handing the event back for a later retry. */
const maxWaitMillis = 10_000;
const maxAttempts = 4;

/**
 * BigCommerce's REST API for one store (`/stores/{hash}/v2|v3/...`), with the store's API token.
 * A 429 waits as long as `X-Rate-Limit-Time-Reset-Ms` says (bounded), then tries again; a 404 is
 * the resource gone; 401 and 403 are permanent; anything else unexpected is thrown for a retry.
 */
export class BigCommerceApi {
  constructor(
    private readonly baseUrl: string,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly wait: (millis: number) => Promise<unknown> = (millis) => sleep(millis),
  ) {}

  async get(store: string, token: string, path: string): Promise<ApiAnswer> {
    const url = `${this.baseUrl.replace(/\/$/, '')}/stores/${encodeURIComponent(store)}${path}`;
    for (let attempt = 1; ; attempt++) {
      const response = await this.fetchImpl(url, {
        headers: { 'X-Auth-Token': token, Accept: 'application/json' },
        signal: AbortSignal.timeout(10_000),
      });
      if (response.status === 429 && attempt < maxAttempts) {
        const reset = Number(response.headers.get('x-rate-limit-time-reset-ms'));
        await response.body?.cancel();
        await this.wait(Math.min(Number.isFinite(reset) && reset > 0 ? reset : 1_000, maxWaitMillis));
        continue;
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return { kind: 'gone' };
      }
      if (response.status === 401 || response.status === 403) {
        await response.body?.cancel();
        throw new BigCommerceAccessError(`BigCommerce refused the API token of store ${store} (${response.status}) for ${path}: check its scopes`);
      }
      // v2 answers 204 for an empty list (an order without products).
      if (response.status === 204) return { kind: 'found', body: [] };
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`BigCommerce answered ${response.status} for ${path} of store ${store}`);
      }
      return { kind: 'found', body: await response.json() };
    }
  }
}
