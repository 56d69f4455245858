import type { StaffConsoleFactory } from "../src/core/staff-console.ts";
import { staffSlackFactory } from "./slack-staff/index.ts";

/** The staff consoles Tend can run, each started only when its settings are present. */
export const staffConsoleFactories: StaffConsoleFactory[] = [staffSlackFactory];
