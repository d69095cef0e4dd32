import { z } from 'zod';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { loadConfig } from '#shared/config.js';
import { Observability } from '#shared/observability.js';
import { ProfilePrivacy } from './adapters/profile-privacy.js';
import { parseIdentityKey } from './core/apply-event.js';
import { ProfilesAdminEnvironment } from './environment.js';

const env = loadConfig(ProfilesAdminEnvironment);
const observability = new Observability('profiles-admin');
const privacy = new ProfilePrivacy(observability.client(awsClients.dynamoDb(), 'DynamoDB'), env.TABLE_NAME);

/** `aws lambda invoke --function-name <ProfilesAdminFunction> --payload '{"action":"export","key":"email:ada@example.com"}'`. */
const Request = z.object({ action: z.enum(['export', 'erase']), key: z.string().min(1) });

export type AdminReply = { ok: true; result: unknown } | { ok: false; code: string; message: string };

/** Data-subject requests in AWS, authorised by IAM (who may invoke this function). */
async function administer(input: unknown): Promise<AdminReply> {
  const request = Request.safeParse(input);
  if (!request.success) return { ok: false, code: 'invalid-request', message: 'Send {"action": "export" | "erase", "key": "email:ada@example.com"}' };
  const key = parseIdentityKey(request.data.key);
  if (key === undefined)
    return {
      ok: false,
      code: 'invalid-key',
      message: `"${request.data.key}" is not a key; use kind:value (email, phone, customer, user, anonymous) or an email address`,
    };
  const now = Date.now();
  const result = request.data.action === 'export' ? await privacy.export(key, now) : await privacy.erase(key, now);
  if (result === undefined) return { ok: false, code: 'not-found', message: `No profile has the key ${request.data.key}` };
  // Logged without the data: who was erased is the requester's record, not the log's.
  observability.logger.info('Data-subject request done', { action: request.data.action });
  observability.counted('DataSubjectRequests', { Action: request.data.action });
  return { ok: true, result };
}

export const handler = observability.handler(administer);
