import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { WebhookSecrets } from '../core/platforms/common.js';

/** Secrets change rarely; re-read now and then so a rotated secret is picked up without a deploy. */
const cacheMillis = 5 * 60 * 1000;

/** Reads the webhook signing secrets (one JSON secret in Secrets Manager) and caches them. */
export class WebhookSecretStore {
  private cached: { secrets: WebhookSecrets; until: number } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
  ) {}

  async current(now: Date): Promise<WebhookSecrets> {
    if (this.cached && this.cached.until > now.getTime()) return this.cached.secrets;
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const secrets = WebhookSecrets.parse(JSON.parse(result.SecretString ?? '{}'));
    this.cached = { secrets, until: now.getTime() + cacheMillis };
    return secrets;
  }
}
