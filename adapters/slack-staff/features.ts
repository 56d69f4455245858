import { alertsFeature } from "./alerts.ts";
import { cardActionsFeature } from "./card-actions.ts";
import type { StaffFeature } from "./context.ts";
import { loginFeature } from "./login-command.ts";
import { lookupFeature } from "./lookup.ts";
import { reportFeature } from "./report-command.ts";
import { threadFeature } from "./thread.ts";

/**
 * Everything the staff app does, applied in this order at start (see the contract in app.ts).
 * `/tend help` lists subcommands in this order too.
 */
export const staffFeatures: StaffFeature[] = [lookupFeature, cardActionsFeature, reportFeature, alertsFeature, threadFeature, loginFeature];
