import type { StaffFeature } from "./context.ts";

/**
 * Everything the staff app does, applied in this order at start (see the contract in app.ts).
 * `/tend help` lists subcommands in this order too.
 */
export const staffFeatures: StaffFeature[] = [];
