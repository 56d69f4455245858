import { describe, expect, it } from "vitest";
import type { Platform } from "../src/core/channel.ts";
import { ManualClock } from "../src/core/clock.ts";
import { SendPacer } from "../src/outreach/send-pacer.ts";
import { defaultSendRates } from "../src/outreach/send-rates.ts";
import { FakeSleep } from "./support/fake-sleep.ts";

/** The platforms' published limits (Telegram Bot API FAQ, Discord rate limits, Slack chat.postMessage), as fixed data. */
const limits: Record<"telegram" | "discord" | "slack", { overall?: [number, number]; perChat: [number, number] }> = {
  telegram: { overall: [30, 1000], perChat: [1, 1000] },
  discord: { overall: [50, 1000], perChat: [5, 5000] },
  // Slack publishes 1 a second per channel; its workspace-wide "several hundred a minute" Tend reads as 5/1s (300/min).
  slack: { overall: [5, 1000], perChat: [1, 1000] },
};

/** A stand-in platform that only counts: the time of every send, per chat. */
class CountingStandIn {
  readonly sends: { at: number; chat: string }[] = [];
  constructor(private readonly clock: ManualClock) {}
  send(chat: string): void {
    this.sends.push({ at: this.clock.now().getTime(), chat });
  }
}

/** The most sends found in any span of `periodMs` (a sliding window, half-open). */
function busiestWindow(times: number[], periodMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= periodMs) lo++;
    most = Math.max(most, hi - lo + 1);
  }
  return most;
}

/**
 * Sends `messages` through the pacer from `workers` workers to a stand-in that counts each send when
 * it arrives. With `travelMs`, a request takes 0 to travelMs (fake) ms to arrive and as long again
 * for its answer to come back, varying from request to request as on a busy machine and network.
 */
async function drive(platform: Platform, messages: number, chats: number, workers: number, travelMs = 0) {
  const clock = new ManualClock("2027-01-01T00:00:00Z");
  const timers = new FakeSleep(clock);
  const pacer = new SendPacer({ rates: defaultSendRates(), clock, sleep: timers.sleep });
  const standIn = new CountingStandIn(clock);
  // A fixed pseudo-random spread of chats, some with many messages, as a dispatcher's queue would have.
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const queue = Array.from({ length: messages }, () => `chat-${Math.floor(random() ** 2 * chats)}`);
  const never = new AbortController().signal;
  const travel = async () => {
    const ms = Math.floor(random() * (travelMs + 1));
    if (ms > 0) await timers.sleep(ms, never);
  };
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const chat = queue[next++]!;
      const finished = await pacer.acquire(platform, chat);
      await travel();
      standIn.send(chat);
      await travel();
      finished();
    }
  };
  await timers.runUntil(Promise.all(Array.from({ length: workers }, worker)));
  return standIn.sends;
}

describe("send pacer against a counting stand-in", () => {
  for (const [platform, travelMs] of [
    ["telegram", 0],
    ["discord", 0],
    ["slack", 0],
    ["telegram", 15],
    ["discord", 15],
  ] as const) {
    it(`${platform}${travelMs ? `, requests taking 0-${travelMs} ms each way` : ""}: no span of the platform's period holds more sends than its limits, overall or in one chat, and the pace is close to them`, async () => {
      const sends = await drive(platform, 3000, 2000, 64, travelMs);
      expect(sends).toHaveLength(3000);
      const { overall, perChat } = limits[platform];
      if (overall) expect(busiestWindow(sends.map((s) => s.at), overall[1])).toBeLessThanOrEqual(overall[0]);
      const byChat = new Map<string, number[]>();
      for (const s of sends) byChat.set(s.chat, [...(byChat.get(s.chat) ?? []), s.at]);
      let busiestChat = 0;
      for (const times of byChat.values()) busiestChat = Math.max(busiestChat, busiestWindow(times, perChat[1]));
      expect(busiestChat).toBeLessThanOrEqual(perChat[0]);
      // How close to the fastest the limits allow: the platform-wide budget or the busiest chat, whichever binds.
      const periodsNeeded = (n: number, [count, periodMs]: [number, number]) => (Math.ceil(n / count) - 1) * periodMs;
      const fastest = Math.max(overall ? periodsNeeded(sends.length, overall) : 0, ...[...byChat.values()].map((t) => periodsNeeded(t.length, perChat)));
      const span = sends.at(-1)!.at - sends[0]!.at;
      console.log(
        `${platform}${travelMs ? ` (0-${travelMs} ms each way)` : ""}: ${sends.length} sends to ${byChat.size} chats in ${span} ms of fake time; the limits allow ${fastest} ms at best (${((fastest / span) * 100).toFixed(1)} %)`,
      );
      expect(fastest / span).toBeGreaterThanOrEqual(0.95);
    });
  }
});
