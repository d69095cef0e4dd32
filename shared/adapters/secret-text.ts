import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Secrets change rarely; re-read now and then so a rotated secret is picked up without a deploy. */
const cacheMillis = 5 * 60 * 1000;

/** One secret's text from Secrets Manager, cached. */
export class SecretText {
  private cached: { text: string; until: number } | undefined;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    /** Shortest text accepted: a signing key must be long enough to sign with. */
    private readonly minLength = 32,
  ) {}

  async current(now: number): Promise<string> {
    if (this.cached && this.cached.until > now) return this.cached.text;
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const text = result.SecretString ?? '';
    if (text.length < this.minLength) throw new Error(`Secret ${this.secretId} is missing or too short (${text.length} characters)`);
    this.cached = { text, until: now + cacheMillis };
    return text;
  }
}
