import { z } from 'zod';
import { EnvironmentParts } from '#shared/config.js';

/** The enrichment function's environment: the stack and the local runtime set it from this. */
export const EnrichmentEnvironment = z.object({
  EVENT_BUS_NAME: z.string().min(1),
  /** A secret holding `{"<store hash>": "<API token>"}`: each BigCommerce store's token (scopes: orders, carts, customers read-only). */
  BIGCOMMERCE_TOKENS_ID: z.string().min(1),
  /** BigCommerce's API; the tests and `npm start` may point it at a local server. */
  BIGCOMMERCE_API_URL: z.string().url().default('https://api.bigcommerce.com'),
  ...EnvironmentParts.consumer,
});
