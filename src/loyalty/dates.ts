/**
 * Calendar months in UTC. The day is clamped to the target month's last day, so 31 March plus one
 * month is 30 April rather than 1 May: points earned on the 31st never gain or lose a month.
 */
export function addMonths(date: Date, months: number): Date {
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(date);
  result.setUTCDate(1);
  result.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
  return result;
}

export const DAY_MS = 24 * 60 * 60 * 1000;
