import type { ChannelAdapter, InboundHandler, SendReceipt } from "../../src/core/channel.ts";

/**
 * The built-in web chat. Replies go back in the HTTP response; proactive messages need no
 * delivery of their own, because the engine puts them on the timeline and the page polls it.
 */
export class WebChatAdapter implements ChannelAdapter {
  readonly platform = "web" as const;
  private handler: InboundHandler | undefined;

  async start(handle: InboundHandler): Promise<void> {
    this.handler = handle;
  }

  async stop(): Promise<void> {
    this.handler = undefined;
  }

  /** Undefined before start() and after stop(): the routes then answer 503. */
  get handle(): InboundHandler | undefined {
    return this.handler;
  }

  async send(_address: string): Promise<SendReceipt> {
    return {};
  }
}

export const visitorAddress = (visitorId: string) => `web:${visitorId}`;
