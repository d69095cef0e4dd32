import type { Device } from '#shared/events/profile.js';

/** The kind of device a user agent belongs to; tablets first, since their agents also say "Android" or "Mobile". */
export function deviceOf(userAgent: string | undefined): Device | undefined {
  if (!userAgent) return undefined;
  if (/iPad|Tablet|PlayBook|Silk|Kindle|Android(?!.*Mobile)/i.test(userAgent)) return 'tablet';
  if (/Mobi|iPhone|iPod|Android|Windows Phone|BlackBerry|Opera Mini/i.test(userAgent)) return 'mobile';
  return 'desktop';
}
