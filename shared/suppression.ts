import { createHash } from 'node:crypto';

export type AddressKind = 'email' | 'phone';

/**
 * Suppression entries keep a hash of the address, not the address: after an erasure Nudge can
 * still recognise the address and never mail it again, without holding it.
 */
export function addressHash(kind: AddressKind, address: string): string {
  const normalised = kind === 'email' ? address.trim().toLowerCase() : address.trim();
  return createHash('sha256').update(`${kind}:${normalised}`).digest('hex');
}
