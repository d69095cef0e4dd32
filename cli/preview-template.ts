import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readShops } from '#project/load-project.js';
import { formatProblems } from '#project/problem.js';
import { loadLayouts } from '#services/dispatch/adapters/template-files.js';
import { messageShop, shopVoice } from '#services/dispatch/core/shop-voice.js';
import { parseTemplate, type RenderedEmail, renderEmail } from '#services/dispatch/core/template.js';
import { Profile } from '#shared/events/profile.js';
import { shopSettings } from '#shared/shops.js';
import { readJsonFile, UsageError } from './test-pattern.js';

/** The From of email whose shop gives none, as `npm start` sends it. */
export const defaultSender = process.env.SENDER_ADDRESS ?? 'Nudge Demo Shop <shop@example.com>';

/** A sample person, for a preview without --profile. */
const sampleProfile: Profile = {
  profileId: 'preview',
  email: 'sam@example.com',
  firstName: 'Sam',
  locale: 'en-US',
  orderCount: 2,
  revenue: { USD: '120.00' },
  firstSeenAt: '2026-01-01T00:00:00.000Z',
  lastSeenAt: '2026-11-01T00:00:00.000Z',
  traitsAt: {},
};

/** What a profile always has that a marketer does not write for a preview: filled in, unless the file says otherwise. */
const internalDefaults = {
  profileId: sampleProfile.profileId,
  orderCount: 0,
  revenue: {},
  firstSeenAt: sampleProfile.firstSeenAt,
  lastSeenAt: sampleProfile.lastSeenAt,
  traitsAt: {},
};

/**
 * Renders a template as dispatch would: with its layout, a profile and an event (files, or a
 * sample person and no event), and an example unsubscribe link, so a marketer sees the email
 * before any rule sends it.
 */
export async function previewTemplate(
  projectDir: string,
  name: string,
  profileFile?: string | Profile,
  eventFile?: string,
  shop?: string,
): Promise<RenderedEmail & { readonly from: string }> {
  const templatesDir = join(projectDir, 'templates');
  const file = join(templatesDir, `${name}.liquid`);
  if (!existsSync(file)) throw new UsageError(`No template templates/${name}.liquid`);
  let profile = typeof profileFile === 'object' ? profileFile : sampleProfile;
  if (typeof profileFile === 'string') {
    const written = readJsonFile(profileFile, 'profile');
    if (typeof written !== 'object' || written === null || Array.isArray(written))
      throw new UsageError(`The profile file ${profileFile} must hold a JSON object, such as {"firstName": "Giulia"}`);
    // A marketer writes what the template uses; Nudge's own bookkeeping fields come from the sample.
    const parsed = Profile.safeParse({ ...internalDefaults, ...written });
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.') || '(the profile)'}: ${issue.message}`);
      throw new UsageError(`The profile file ${profileFile} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.join('\n')}`);
    }
    profile = parsed.data;
  }
  const raw = eventFile === undefined ? {} : (readJsonFile(eventFile, 'event') as Record<string, unknown>);
  // An event as on the bus, or just its detail: templates read the detail.
  const event = typeof raw.detail === 'object' && raw.detail !== null && 'detail-type' in raw ? (raw.detail as Record<string, unknown>) : raw;
  const shops = readShops(projectDir);
  if (!shops.ok) throw new UsageError(formatProblems(shops.error));
  if (shop !== undefined && shopSettings(shops.value, shop) === undefined)
    throw new UsageError(`--shop ${shop}: config/shops.json has no such shop (it has ${Object.keys(shops.value).join(', ') || 'none'})`);
  // The shop as dispatch would take it: the one asked for, else the event's, else the person's.
  const voice = shopVoice(shops.value, shop ?? messageShop(event, profile), profile, defaultSender);
  try {
    const email = await renderEmail(
      parseTemplate(name, readFileSync(file, 'utf8')),
      {
        profile,
        event,
        rule: { id: 'preview' },
        shop: voice.shop,
        language: voice.language,
        copy: voice.copy,
        unsubscribeUrl: 'https://example.com/unsubscribe?token=preview',
      },
      loadLayouts(templatesDir),
    );
    return { ...email, from: voice.sender };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}
