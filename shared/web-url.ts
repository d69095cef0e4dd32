/** A link a person can open (http or https), normalised; anything else (a script, a relative path, junk) is no link. */
export function webUrl(text: unknown): string | undefined {
  if (typeof text !== 'string' || text === '') return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}
