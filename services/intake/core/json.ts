import { isSafeNumber, parse } from 'lossless-json';

export type JsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly message: string };

/**
 * JSON.parse, except that integers too large for a double (Shopify's ids exceed 2^53) come back
 * as exact strings instead of silently rounded numbers.
 */
export function parseJson(body: Buffer | string): JsonResult {
  try {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    const value = parse(text, null, (digits: string) => (isSafeNumber(digits) || !/^-?\d+$/.test(digits) ? Number(digits) : digits));
    return { ok: true, value };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}
