export { webChatFactory } from "./factory.ts";
export { WebChatAdapter } from "./adapter.ts";
