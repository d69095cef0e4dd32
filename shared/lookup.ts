/**
 * The value of a key that was configured, never one every object inherits: a shop domain, write key
 * or app id named "constructor", "__proto__" or "toString" finds nothing, instead of a function.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string | undefined): T | undefined {
  return record !== undefined && key !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/**
 * The value configured for a host name (a shop's domain), which is the same host in any case:
 * `Negozio.myshopify.com` finds `negozio.myshopify.com`. Only configured keys, as `ownValue`.
 */
export function ownHostValue<T>(record: Readonly<Record<string, T>> | undefined, host: string | undefined): T | undefined {
  if (record === undefined || host === undefined) return undefined;
  const exact = ownValue(record, host);
  if (exact !== undefined) return exact;
  const wanted = host.toLowerCase();
  const key = Object.keys(record).find((name) => name.toLowerCase() === wanted);
  return key === undefined ? undefined : record[key];
}
