import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { Identity } from '#shared/events/common.js';

export function normaliseEmail(email: unknown): string | undefined {
  if (typeof email !== 'string') return undefined;
  const trimmed = email.trim().toLowerCase();
  // A deliberately loose check: platforms validate addresses; this only keeps out non-addresses.
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed) ? trimmed : undefined;
}

/**
 * A phone number in E.164 ("+14155552671"). A national number ("(415) 555-2671") is read in the
 * country the platform gives with it; a number that is not valid there is dropped, not guessed.
 */
export function normalisePhone(phone: unknown, country?: string): string | undefined {
  if (typeof phone !== 'string' || phone.trim() === '') return undefined;
  const region = country && /^[A-Z]{2}$/i.test(country) ? (country.toUpperCase() as CountryCode) : undefined;
  const parsed = parsePhoneNumberFromString(phone, region);
  return parsed?.isValid() ? parsed.number : undefined;
}

export function idString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** The identity keys of a person, without the ones that are missing or invalid. */
export function identityOf(keys: {
  email?: unknown;
  phone?: unknown;
  country?: string | null;
  customerId?: string;
  userId?: unknown;
  anonymousId?: unknown;
}): Identity {
  const identity: Identity = {};
  const email = normaliseEmail(keys.email);
  const phone = normalisePhone(keys.phone, keys.country ?? undefined);
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
