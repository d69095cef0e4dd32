import { z } from 'zod';
import { awsClients } from '#shared/adapters/aws-clients.js';
import { loadConfig } from '#shared/config.js';
import { Observability } from '#shared/observability.js';
import { fail, ok, type Result } from '#shared/result.js';
import { ProfilePrivacy } from './adapters/profile-privacy.js';
import { parseIdentityKey } from './core/apply-event.js';
import { ProfilesAdminEnvironment } from './environment.js';

const env = loadConfig(ProfilesAdminEnvironment);
const observability = new Observability('profiles-admin');
const privacy = new ProfilePrivacy(observability.client(awsClients.dynamoDb()), env.TABLE_NAME);

/** `aws lambda invoke --function-name <ProfilesAdminFunction> --payload '{"action":"export","key":"email:ada@example.com"}'`. */
const Request = z.object({ action: z.enum(['export', 'erase']), key: z.string().min(1) });

/** The reply, as `out.json` holds it: `{ ok: true, value }`, or `{ ok: false, error: { code, message } }`. */
export type AdminReply = Result<unknown, { readonly code: string; readonly message: string }>;

/** Data-subject requests in AWS, authorised by IAM (who may invoke this function). */
async function administer(input: unknown): Promise<AdminReply> {
  const request = Request.safeParse(input);
  if (!request.success) return fail({ code: 'invalid-request', message: 'Send {"action": "export" | "erase", "key": "email:ada@example.com"}' });
  const key = parseIdentityKey(request.data.key);
  if (key === undefined)
    return fail({
      code: 'invalid-key',
      message: `"${request.data.key}" is not a key; use kind:value (email, phone, customer, user, anonymous) or an email address`,
    });
  const now = Date.now();
  const result = request.data.action === 'export' ? await privacy.export(key, now) : await privacy.erase(key, now);
  if (result === undefined) return fail({ code: 'not-found', message: `No profile has the key ${request.data.key}` });
  // Logged without the data: who was erased is the requester's record, not the log's.
  observability.logger.info('Data-subject request done', { action: request.data.action });
  observability.counted('DataSubjectRequests', { Action: request.data.action });
  return ok(result);
}

export const handler = observability.handler(administer);
