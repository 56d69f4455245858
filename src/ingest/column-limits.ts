import { z } from "zod";

/**
 * The ranges of the database columns that API and import values are stored in, in one place so a
 * value that does not fit is refused with its range instead of failing in PostgreSQL with a 500.
 * test/staff-api.test.ts compares them with the migrated database's own column types.
 */

/** Prisma `Int` is PostgreSQL `integer`: 32 bits, e.g. LoyaltyLedgerEntry.points. */
export const INT_COLUMN = { min: -2_147_483_648, max: 2_147_483_647 } as const;

/** Order.amount is `Decimal(14, 2)`: 12 digits before the point, 2 after. */
export const ORDER_AMOUNT_COLUMN = { precision: 14, scale: 2 } as const;

/** Digits a Decimal(precision, scale) column holds before the point. */
export function wholeDigits(column: { precision: number; scale: number }): number {
  return column.precision - column.scale;
}

/** A whole number that fits an `Int` column; the message names the range. */
export function intColumnNumber(what = "a whole number") {
  const range = `${what} from ${INT_COLUMN.min} to ${INT_COLUMN.max}`;
  return z
    .number({ error: (issue) => (issue.input === undefined ? "is required" : `must be ${range}`) })
    .refine((n) => Number.isInteger(n) && n >= INT_COLUMN.min && n <= INT_COLUMN.max, { error: `must be ${range}`, abort: true });
}
