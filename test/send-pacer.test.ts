import { describe, expect, it } from "vitest";
import type { Platform } from "../src/core/channel.ts";
import { type Clock, ManualClock, systemClock } from "../src/core/clock.ts";
import { SendPacer, type Sleep, realSleep } from "../src/outreach/send-pacer.ts";
import { type SendRates, defaultSendRates, parseSendRates } from "../src/outreach/send-rates.ts";
import { FakeSleep, settle } from "./support/fake-sleep.ts";

const start = new Date("2027-01-01T00:00:00.000Z");

/** The platforms' published limits, written out here rather than read from the code under test. */
const published = {
  telegram: { overall: { count: 30, periodMs: 1000 }, perChat: { count: 1, periodMs: 1000 } },
  discord: { overall: { count: 50, periodMs: 1000 }, perChat: { count: 5, periodMs: 5000 } },
  slack: { perChat: { count: 1, periodMs: 1000 } },
};

/** A pacer on a manual clock; `guardMs` 0 unless given, so that schedules come out in whole periods. */
function rig(rates: SendRates = defaultSendRates(), guardMs = 0) {
  const clock = new ManualClock(start);
  const timers = new FakeSleep(clock);
  const pacer = new SendPacer({ rates, clock, sleep: timers.sleep, guardMs });
  const elapsed = () => clock.now().getTime() - start.getTime();
  /** acquire() for a send the platform answers at once, recording the clock's time (ms since start) when it was granted. */
  const timed = (platform: Platform, chat: string, signal?: AbortSignal) =>
    pacer.acquire(platform, chat, signal).then((finished) => {
      finished();
      return elapsed();
    });
  return { clock, timers, pacer, elapsed, timed };
}

/**
 * A pacer (2 a second on Telegram, no guard) on a clock whose wall time and never-stepped time move separately,
 * as when the system's time is set: `wall` steps the first, `steady.advance` the second, waking the sleeps due.
 */
function steppedRig() {
  let wallMs = start.getTime();
  let steadyMs = 0;
  const clock: Clock = { now: () => new Date(wallMs), elapsedMs: () => steadyMs };
  let sleeps: { at: number; wake(): void }[] = [];
  const sleep: Sleep = (ms) => new Promise<void>((resolve) => sleeps.push({ at: steadyMs + ms, wake: resolve }));
  const pacer = new SendPacer({ rates: withRates({ telegram: "2/1s" }), clock, sleep, guardMs: 0 });
  const wall = { advance: (ms: number) => void (wallMs += ms) };
  const steady = {
    async advance(ms: number) {
      steadyMs += ms;
      const due = sleeps.filter((s) => s.at <= steadyMs);
      sleeps = sleeps.filter((s) => s.at > steadyMs);
      for (const s of due) s.wake();
      await settle();
    },
  };
  return { pacer, wall, steady };
}

function withRates(text: Partial<Record<Platform, string>>): SendRates {
  const rates = defaultSendRates();
  for (const [platform, value] of Object.entries(text) as [Platform, string][]) {
    const parsed = parseSendRates(value);
    if (!parsed.ok) throw new Error(parsed.problem);
    rates[platform] = parsed.rates;
  }
  return rates;
}

/** How many of `times` fall in each consecutive period from 0. */
function perPeriod(times: number[], periodMs: number): number[] {
  const counts: number[] = [];
  for (const t of times) counts[Math.floor(t / periodMs)] = (counts[Math.floor(t / periodMs)] ?? 0) + 1;
  return Array.from(counts, (c) => c ?? 0);
}

describe("send pacer: the platforms' published limits by default", () => {
  it("Telegram: a burst of 30, then 30 a second, to different chats", async () => {
    const { timers, timed } = rig();
    const grants = Array.from({ length: 100 }, (_, i) => timed("telegram", `chat-${i}`));
    const times = await timers.runUntil(Promise.all(grants));
    expect(perPeriod(times, published.telegram.overall.periodMs)).toEqual([30, 30, 30, 10]);
    expect(times.slice(0, 30).every((t) => t === 0)).toBe(true);
    expect(times.slice(30, 60).every((t) => t === 1000)).toBe(true);
  });

  it("Telegram: one message a second in one chat", async () => {
    const { timers, timed } = rig();
    const times = await timers.runUntil(Promise.all(Array.from({ length: 5 }, () => timed("telegram", "42"))));
    expect(times).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it("Discord: 50 a second overall and 5 per 5 seconds in one channel", async () => {
    const { timers, timed } = rig();
    const spread = await timers.runUntil(Promise.all(Array.from({ length: 120 }, (_, i) => timed("discord", `channel-${i}`))));
    expect(perPeriod(spread, published.discord.overall.periodMs)).toEqual([50, 50, 20]);
    const { timers: timers2, timed: timed2 } = rig();
    const one = await timers2.runUntil(Promise.all(Array.from({ length: 12 }, () => timed2("discord", "channel-1"))));
    expect(perPeriod(one, published.discord.perChat.periodMs)).toEqual([5, 5, 2]);
    expect(one).toEqual([0, 0, 0, 0, 0, 5000, 5000, 5000, 5000, 5000, 10_000, 10_000]);
  });

  it("Slack: one message a second per channel; the web chat: no wait at all", async () => {
    const { timers, timed, pacer } = rig();
    const slack = await timers.runUntil(Promise.all(Array.from({ length: 3 }, () => timed("slack", "C1"))));
    expect(slack).toEqual([0, 1000, 2000]);
    const web = await Promise.all(Array.from({ length: 1000 }, (_, i) => timed("web", `visitor-${i % 3}`)));
    expect(new Set(web)).toEqual(new Set([2000]));
    expect(pacer.stats("web")).toEqual({ waiting: 0, chats: 0 });
  });

  it("never lets more than the limit through in any span of one period (not only per calendar period)", async () => {
    const { timers, timed, clock } = rig();
    // Half a period in: a burst now and the refills must not add up to 2 × 30 within one second.
    clock.advance(500);
    const times = await timers.runUntil(Promise.all(Array.from({ length: 90 }, (_, i) => timed("telegram", `c${i}`))));
    for (let i = 30; i < times.length; i++) expect(times[i]! - times[i - 30]!).toBeGreaterThanOrEqual(1000);
  });
});

describe("send pacer: a 429 pauses for its retry-after", () => {
  it("pauses the whole platform and the chat (the answer does not say which limit was passed); other platforms go on", async () => {
    const { timers, timed, pacer } = rig();
    await timers.runUntil(timed("telegram", "A"));
    pacer.pause("telegram", 7000, "A");
    const a = timed("telegram", "A");
    const b = timed("telegram", "B");
    expect(await timers.runUntil(timed("discord", "A"))).toBe(0);
    expect(await timers.runUntil(Promise.all([a, b]))).toEqual([7000, 7000]);
  });

  it("a chat's pause outlasts the platform's when another 429 gave that chat a longer one", async () => {
    const { timers, timed, pacer } = rig();
    pacer.pause("telegram", 9000, "A");
    pacer.pause("telegram", 2000, "B");
    const a = timed("telegram", "A");
    const c = timed("telegram", "C");
    expect(await timers.runUntil(c)).toBe(9000);
    expect(await timers.runUntil(a)).toBe(9000);
    // B's own pause ended with the platform's.
    expect(await timers.runUntil(timed("telegram", "B"))).toBe(9000);
  });

  it("pauses the whole platform without a chat; other platforms go on", async () => {
    const { timers, timed, pacer } = rig();
    pacer.pause("telegram", 3000);
    const tg = [timed("telegram", "A"), timed("telegram", "B")];
    expect(await timers.runUntil(timed("discord", "A"))).toBe(0);
    expect(await timers.runUntil(Promise.all(tg))).toEqual([3000, 3000]);
  });

  it("a pause that arrives while sends are waiting holds them too, and a shorter one never shortens it", async () => {
    const { timers, timed, pacer } = rig(withRates({ telegram: "2/1s, 1/1s per chat" }));
    const grants = ["A", "B", "C", "D"].map((chat) => timed("telegram", chat));
    await timers.runUntil(Promise.all(grants.slice(0, 2)));
    pacer.pause("telegram", 10_000);
    pacer.pause("telegram", 2000);
    expect(await timers.runUntil(Promise.all(grants.slice(2)))).toEqual([10_000, 10_000]);
  });
});

describe("send pacer: a send holds its place until the platform answered", () => {
  it("the next send waits one period from the answer, not from the moment the first was allowed", async () => {
    const { timers, pacer, clock, elapsed } = rig(withRates({ telegram: "2/1s, 1/1s per chat" }));
    const [a, b] = await timers.runUntil(Promise.all([pacer.acquire("telegram", "A"), pacer.acquire("telegram", "B")]));
    const later = [pacer.acquire("telegram", "C"), pacer.acquire("telegram", "D")].map((p) => p.then(elapsed));
    clock.advance(50);
    b!(); // B's answer came back after 50 ms
    clock.advance(250);
    a!(); // A's after 300 ms: a slow request, which the platform may have counted as late as that
    expect(await timers.runUntil(Promise.all(later))).toEqual([1050, 1300]);
  });

  it("measures periods on the clock that is never stepped: the wall clock set forward hands no token back early", async () => {
    const { pacer, steady, wall } = steppedRig();
    const [a, b] = [await pacer.acquire("telegram", "A"), await pacer.acquire("telegram", "B")];
    a();
    b();
    let third = false;
    void pacer.acquire("telegram", "C").then(() => (third = true));
    // The system's time is set 5 s forward 10 ms later; another send asks (the pacer looks at its clock again).
    wall.advance(5000);
    await steady.advance(10);
    void pacer.acquire("telegram", "D");
    await settle();
    expect(third).toBe(false);
    await steady.advance(990);
    expect(third).toBe(true);
  });

  it("measures periods on the clock that is never stepped: the wall clock set back holds no token for the step's length", async () => {
    const { pacer, steady, wall } = steppedRig();
    const [a, b] = [await pacer.acquire("telegram", "A"), await pacer.acquire("telegram", "B")];
    a();
    b();
    wall.advance(-3_600_000);
    let third = false;
    void pacer.acquire("telegram", "C").then(() => (third = true));
    await steady.advance(1000);
    expect(third).toBe(true);
  });

  it("while every send allowed is still in flight nobody goes, however long ago they were allowed", async () => {
    const { timers, pacer, timed } = rig(withRates({ telegram: "1/1s, 1/1s per chat" }));
    const first = await timers.runUntil(pacer.acquire("telegram", "A"));
    const second = timed("telegram", "B");
    const third = timed("telegram", "A");
    await timers.advance(5000);
    expect(pacer.stats("telegram").waiting).toBe(2);
    first();
    first(); // a second call changes nothing
    // One period after A's answer; then one after B's (answered at once).
    expect(await timers.runUntil(Promise.all([second, third]))).toEqual([6000, 7000]);
  });

  it("one chat's next message waits for the answer to its last one, then one period", async () => {
    const { timers, pacer, clock, elapsed } = rig();
    const first = await timers.runUntil(pacer.acquire("telegram", "42"));
    const next = pacer.acquire("telegram", "42").then(elapsed);
    await timers.advance(2500);
    first();
    expect(await timers.runUntil(next)).toBe(3500);
    expect(clock.now().getTime() - start.getTime()).toBe(3500);
  });

  it("adds the guard (5 ms by default) to each token's period, for the clocks' granularity", async () => {
    const { timers, timed } = rig(defaultSendRates(), undefined);
    const clock = new ManualClock(start);
    const sleeps = new FakeSleep(clock);
    const pacer = new SendPacer({ rates: defaultSendRates(), clock, sleep: sleeps.sleep });
    const send = () => pacer.acquire("telegram", "42").then((finished) => (finished(), clock.now().getTime() - start.getTime()));
    expect(await sleeps.runUntil(Promise.all([send(), send(), send()]))).toEqual([0, 1005, 2010]);
    // The rig's pacer sets the guard to 0.
    expect(await timers.runUntil(Promise.all([timed("telegram", "42"), timed("telegram", "42")]))).toEqual([0, 1000]);
  });
});

describe("send pacer: fairness and shutdown", () => {
  it("serves waiters in arrival order per platform", async () => {
    const { timers, pacer } = rig(withRates({ telegram: "1/1s, 1/1s per chat" }));
    const order: string[] = [];
    const chats = ["e", "b", "d", "a", "c"];
    const grants = chats.map((chat) => pacer.acquire("telegram", chat).then((finished) => (finished(), order.push(chat))));
    await timers.runUntil(Promise.all(grants));
    expect(order).toEqual(chats);
  });

  it("a waiter whose own chat must wait does not hold up other chats, and one chat's sends keep their order", async () => {
    const { timers, pacer, elapsed } = rig();
    const order: string[] = [];
    const send = (chat: string, label: string) => pacer.acquire("telegram", chat).then((finished) => (finished(), order.push(`${label}@${elapsed()}`)));
    await timers.runUntil(Promise.all([send("A", "A1"), send("A", "A2"), send("A", "A3"), send("B", "B1")]));
    expect(order).toEqual(["A1@0", "B1@0", "A2@1000", "A3@2000"]);
  });

  it("an aborted wait rejects, takes no turn, and the next waiter moves up", async () => {
    const { timers, timed, pacer } = rig(withRates({ telegram: "1/1s, 1/1s per chat" }));
    const first = timed("telegram", "A");
    const abort = new AbortController();
    const second = timed("telegram", "B", abort.signal);
    const third = timed("telegram", "C");
    expect(await timers.runUntil(first)).toBe(0);
    abort.abort(new Error("the dispatcher gave this one up"));
    await expect(second).rejects.toThrow("gave this one up");
    expect(await timers.runUntil(third)).toBe(1000);
    expect(pacer.stats("telegram").waiting).toBe(0);
  });

  it("shutdown rejects every waiter and every later acquire, and leaves no timer", async () => {
    const clock = new ManualClock(start);
    const timers = new FakeSleep(clock);
    const shutdown = new AbortController();
    const pacer = new SendPacer({ rates: defaultSendRates(), clock, sleep: timers.sleep, signal: shutdown.signal });
    const grants = Array.from({ length: 40 }, (_, i) => pacer.acquire("telegram", `c${i}`));
    for (const finished of await Promise.all(grants.slice(0, 30))) finished();
    expect(timers.pending).toBe(1);
    shutdown.abort(new Error("shutting down"));
    const outcomes = await Promise.allSettled(grants.slice(30));
    expect(outcomes.every((o) => o.status === "rejected" && String(o.reason).includes("shutting down"))).toBe(true);
    await expect(pacer.acquire("telegram", "late")).rejects.toThrow("shutting down");
    await settle();
    expect(timers.pending).toBe(0);
    // An answer that comes back after shutdown is taken quietly.
    for (const finished of await Promise.all(grants.slice(0, 30))) finished();
  });
});

describe("send pacer: memory", () => {
  it("holds a bounded number of chats while 100,000 chats each get a message, yet remembers one whose send is in flight", async () => {
    const { clock, pacer, timers, timed } = rig(withRates({ telegram: "unlimited, 1/1s per chat" }));
    // One chat's send takes 10 minutes to be answered: its window must be remembered however many others pass.
    const slow = await pacer.acquire("telegram", "slow");
    let most = 0;
    for (let i = 0; i < 100_000; i++) {
      (await pacer.acquire("telegram", `chat-${i}`))();
      most = Math.max(most, pacer.stats("telegram").chats);
      // 10 new chats per millisecond: 10,000 chats' windows are busy at any moment.
      if (i % 10 === 9) clock.advance(1);
    }
    expect(most).toBeLessThanOrEqual(2 * 10_000 + 2);
    expect(pacer.stats("telegram").chats).toBeLessThanOrEqual(2 * 10_000 + 2);
    const next = timed("telegram", "slow");
    await timers.advance(600_000 - 10_000);
    slow();
    expect(await timers.runUntil(next)).toBe(601_000);
  });
});

describe("send pacer: instances sharing a platform", () => {
  it("keeps to its share of the platform-wide rate, and to the whole rate again when alone", async () => {
    const { timers, timed, pacer } = rig();
    pacer.shareAmong("telegram", 3);
    expect(pacer.overallRate("telegram")).toEqual({ count: 10, periodMs: 1000 });
    const shared = await timers.runUntil(Promise.all(Array.from({ length: 30 }, (_, i) => timed("telegram", `a${i}`))));
    expect(perPeriod(shared, 1000)).toEqual([10, 10, 10]);
    pacer.shareAmong("telegram", 1);
    expect(pacer.overallRate("telegram")).toEqual(published.telegram.overall);
    const alone = await timers.runUntil(Promise.all(Array.from({ length: 60 }, (_, i) => timed("telegram", `b${i}`))));
    // The 10 sent at 2000 ms under the share still count in that second: 20 more then, 30 a second after.
    expect(alone).toEqual([...Array(20).fill(2000), ...Array(30).fill(3000), ...Array(10).fill(4000)]);
  });
});

describe("send pacer on real time", () => {
  it("waits with real timers by default (only a lower bound is checked: the machine may be slow)", async () => {
    const pacer = new SendPacer({ rates: withRates({ telegram: "unlimited, 1/50ms per chat" }), clock: systemClock });
    const started = Date.now();
    (await pacer.acquire("telegram", "A"))();
    (await pacer.acquire("telegram", "A"))();
    expect(Date.now() - started).toBeGreaterThanOrEqual(49);
    pacer.close();
  });

  it("the real sleep stops at once when aborted", async () => {
    const abort = new AbortController();
    const sleeping = realSleep(600_000, abort.signal);
    abort.abort(new Error("stop"));
    await expect(sleeping).rejects.toThrow("stop");
  });
});
