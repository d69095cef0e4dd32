import type { Identity } from '../../../shared/events/common.js';

export function normaliseEmail(email: unknown): string | undefined {
  if (typeof email !== 'string') return undefined;
  const trimmed = email.trim().toLowerCase();
  // A deliberately loose check: platforms validate addresses; this only keeps out non-addresses.
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) ? trimmed : undefined;
}

/** E.164 when the number already is one (after removing spacing); other formats are dropped, not guessed. */
export function normalisePhone(phone: unknown): string | undefined {
  if (typeof phone !== 'string') return undefined;
  const compact = phone.replace(/[\s().-]/g, '');
  return /^\+[1-9]\d{6,14}$/.test(compact) ? compact : undefined;
}

export function idString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The identity keys of a person, without the ones that are missing or invalid. */
export function identityOf(keys: { email?: unknown; phone?: unknown; customerId?: string; userId?: unknown; anonymousId?: unknown }): Identity {
  const identity: Identity = {};
  const email = normaliseEmail(keys.email);
  const phone = normalisePhone(keys.phone);
  const userId = idString(keys.userId);
  const anonymousId = idString(keys.anonymousId);
  if (email) identity.email = email;
  if (phone) identity.phone = phone;
  if (keys.customerId) identity.customerId = keys.customerId;
  if (userId) identity.userId = userId;
  if (anonymousId) identity.anonymousId = anonymousId;
  return identity;
}

export const hasIdentity = (identity: Identity) => Object.values(identity).some((value) => value !== undefined);
