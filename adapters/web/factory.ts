import type { ChannelFactory } from "../../src/core/channel-factory.ts";
import { WebChatAdapter } from "./adapter.ts";
import { registerWebChatRoutes } from "./routes.ts";
import { VisitorGate } from "./visitor-gate.ts";

/** The built-in web chat at GET /chat: needs no settings, so it is always on. */
export const webChatFactory: ChannelFactory = {
  platform: "web",

  missingSettings() {
    return [];
  },

  create({ config, http, conversations, clock }) {
    const adapter = new WebChatAdapter();
    const gate = new VisitorGate(
      {
        messagesPerMinute: config.WEBCHAT_RATE_LIMIT_PER_MINUTE,
        newVisitorsPerMinutePerAddress: config.WEBCHAT_NEW_VISITORS_PER_MINUTE_PER_IP,
        newVisitorsPerMinute: config.WEBCHAT_NEW_VISITORS_PER_MINUTE,
      },
      conversations,
      () => clock.now().getTime(),
    );
    // Routes must exist before Tend listens; they answer 503 until start().
    registerWebChatRoutes(http, {
      handle: () => adapter.handle,
      conversations,
      gate,
      clock,
      trustProxy: config.WEBCHAT_TRUST_PROXY,
      businessName: config.WEBCHAT_BUSINESS_NAME,
    });
    return adapter;
  },
};
