export { StaffSlackApp, createStaffSlackApp } from "./app.ts";
export { staffSlackFactory } from "./factory.ts";
