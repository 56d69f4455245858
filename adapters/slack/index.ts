export { slackFactory } from "./factory.ts";
export { SlackAdapter, type SlackSettings } from "./adapter.ts";
export { SLACK_EVENTS_PATH } from "./events-route.ts";
