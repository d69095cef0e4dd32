/** Any timestamp a platform sends, as ISO 8601 UTC with milliseconds ("2022-01-01T00:00:00.000Z"). */
export function toUtcInstant(value: string | Date): string | undefined {
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
