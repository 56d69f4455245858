import type { StaffConsoleFactory } from "../src/core/staff-console.ts";
// The factory module, not index.ts (which re-exports the app and @slack/bolt with it).
import { staffSlackFactory } from "./slack-staff/factory.ts";

/** The staff consoles Tend can run, each started only when its settings are present. */
export const staffConsoleFactories: StaffConsoleFactory[] = [staffSlackFactory];
