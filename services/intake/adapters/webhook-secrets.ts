import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretText } from '#shared/adapters/secret-text.js';
import { WebhookSecrets } from '../core/platforms/common.js';

/** Reads the webhook signing secrets (one JSON secret in Secrets Manager), cached like every secret. */
export class WebhookSecretStore {
  private readonly text: SecretText;
  private parsed: { readonly text: string; readonly secrets: WebhookSecrets } | undefined;

  constructor(client: SecretsManagerClient, secretId: string) {
    this.text = new SecretText(client, secretId, 2);
  }

  async current(now: number): Promise<WebhookSecrets> {
    const text = await this.text.current(now);
    // Parsed once per text read, not once per request.
    if (this.parsed?.text !== text) this.parsed = { text, secrets: WebhookSecrets.parse(JSON.parse(text)) };
    return this.parsed.secrets;
  }
}
