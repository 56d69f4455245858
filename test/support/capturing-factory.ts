import type { ChannelAdapter } from "../../src/core/channel.ts";
import type { ChannelFactory } from "../../src/core/channel-factory.ts";

export interface Captured<A extends ChannelAdapter> {
  adapter?: A;
  startError?: unknown;
}

/** The factory as Tend uses it, keeping hold of the adapter it makes and the error its start throws. */
export function capturingFactory<A extends ChannelAdapter>(
  factory: ChannelFactory,
  captured: Captured<A>,
  kind: abstract new (...args: never[]) => A,
): ChannelFactory {
  return {
    platform: factory.platform,
    missingSettings: (config) => factory.missingSettings(config),
    async create(context) {
      const adapter = await factory.create(context);
      if (!(adapter instanceof kind)) throw new Error(`expected a ${kind.name}`);
      captured.adapter = adapter;
      const start = adapter.start.bind(adapter);
      adapter.start = async (handle, report) => {
        try {
          await start(handle, report);
        } catch (error) {
          captured.startError = error;
          throw error;
        }
      };
      return adapter;
    },
  };
}
