/**
 * Reads LOYALTY_EARN_FROM: a calendar date (midnight UTC) or a date-time with its offset. Null when
 * it is neither, including dates that do not exist (2025-02-30), which `Date` would roll over.
 */
export function parseEarnFrom(text: string): Date | null {
  const value = text.trim();
  const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (dateOnly) {
    const date = new Date(`${value}T00:00:00.000Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value ? date : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || parseEarnFrom(value.slice(0, 10)) === null ? null : date;
}
