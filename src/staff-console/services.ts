import type { StaffConsoleServices } from "../core/staff-console-services.ts";

export interface StaffConsoleDependencies {
  authorizeSlack: StaffConsoleServices["authorizeSlack"];
}

/**
 * The staff console's port (src/core/staff-console-services.ts) over Tend's services: what the
 * staff Slack app may ask, each change made by the customer and staff services with the acting
 * staff member, so it is audited once, in one place.
 */
export function staffConsoleServices(deps: StaffConsoleDependencies): StaffConsoleServices {
  return {
    authorizeSlack: (origin) => deps.authorizeSlack(origin),
  };
}
