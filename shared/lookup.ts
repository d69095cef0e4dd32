/**
 * The value of a key that was configured, never one every object inherits: a shop domain, write key
 * or app id named "constructor", "__proto__" or "toString" finds nothing, instead of a function.
 */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string | undefined): T | undefined {
  return record !== undefined && key !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}
