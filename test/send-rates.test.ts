import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/env.ts";
import { TendError } from "../src/errors.ts";
import { parseSendRates, sendRatesFromConfig, shareOfRate } from "../src/outreach/send-rates.ts";

describe("OUTREACH_RATE_* settings", () => {
  it("default to the platforms' published limits", () => {
    expect(sendRatesFromConfig(loadConfig({}))).toEqual({
      // Telegram Bot API FAQ: ~30 messages a second, 1 a second per chat.
      telegram: { overall: { count: 30, periodMs: 1000 }, perChat: { count: 1, periodMs: 1000 } },
      // Discord: 50 requests a second global, 5 messages per 5 s per channel.
      discord: { overall: { count: 50, periodMs: 1000 }, perChat: { count: 5, periodMs: 5000 } },
      // Slack chat.postMessage: 1 a second per channel; workspace-wide "several hundred a minute" (300 = 5/1s).
      slack: { overall: { count: 5, periodMs: 1000 }, perChat: { count: 1, periodMs: 1000 } },
      web: { overall: null, perChat: null },
    });
  });

  it("read N/period platform-wide and per chat, in either order, with unlimited and parts left out", () => {
    expect(parseSendRates("2/3s per chat, 1/1s")).toEqual({
      ok: true,
      rates: { overall: { count: 1, periodMs: 1000 }, perChat: { count: 2, periodMs: 3000 } },
    });
    expect(parseSendRates("300/1m")).toEqual({ ok: true, rates: { overall: { count: 300, periodMs: 60_000 }, perChat: null } });
    expect(parseSendRates("unlimited, 5/500ms per chat")).toEqual({ ok: true, rates: { overall: null, perChat: { count: 5, periodMs: 500 } } });
  });

  it("refuse what they cannot read, saying what is wrong", () => {
    expect(parseSendRates("30 per second")).toEqual({ ok: false, problem: '"30 per second" is not N/period' });
    expect(parseSendRates("30/1s, 1/1s per chat, 2/1s per chat")).toEqual({ ok: false, problem: "two per-chat rates" });
    expect(parseSendRates("0/1s")).toEqual({ ok: false, problem: "0 sends is outside 1–100000" });
    expect(parseSendRates("1/2h")).toMatchObject({ ok: false });
    expect(parseSendRates("30/1s,")).toEqual({ ok: false, problem: "an empty part" });
  });

  it("a bad value stops start-up with an error naming the variable, keeping the others' checks", () => {
    let error: unknown;
    try {
      loadConfig({ OUTREACH_RATE_DISCORD: "50 a second", TEND_INSTANCE_HEARTBEAT_SECONDS: "0" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TendError);
    expect((error as Error).message).toContain('OUTREACH_RATE_DISCORD must be the pace of sends to Discord, a platform-wide rate and a per-chat rate, e.g. "30/1s, 1/1s per chat"');
    expect((error as Error).message).toContain('(got "50 a second")');
    expect((error as Error).message).toContain("TEND_INSTANCE_HEARTBEAT_SECONDS must be");
  });
});

describe("a platform-wide rate shared among instances", () => {
  it("gives each whole sends per period, so together they never pass the limit", () => {
    expect(shareOfRate({ count: 30, periodMs: 1000 }, 1)).toEqual({ count: 30, periodMs: 1000 });
    expect(shareOfRate({ count: 30, periodMs: 1000 }, 3)).toEqual({ count: 10, periodMs: 1000 });
    // 4 × 7 = 28 ≤ 30: rounding down wastes a little rather than overshooting.
    expect(shareOfRate({ count: 30, periodMs: 1000 }, 4)).toEqual({ count: 7, periodMs: 1000 });
    expect(shareOfRate({ count: 50, periodMs: 1000 }, 3)).toEqual({ count: 16, periodMs: 1000 });
  });

  it("with more instances than sends per period, gives each one send per longer period (the average adds up)", () => {
    expect(shareOfRate({ count: 30, periodMs: 1000 }, 60)).toEqual({ count: 1, periodMs: 2000 });
    expect(shareOfRate({ count: 1, periodMs: 1000 }, 3)).toEqual({ count: 1, periodMs: 3000 });
  });
});
