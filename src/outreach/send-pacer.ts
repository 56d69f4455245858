import { type Platform, platforms } from "../core/channel.ts";
import type { Clock } from "../core/clock.ts";
import { MinHeap } from "./min-heap.ts";
import { type SendRate, type SendRates, shareOfRate } from "./send-rates.ts";
import { SendWindow } from "./send-window.ts";

/** Waits `ms` of the clock's time, or rejects when `signal` aborts; tests pass one that their clock drives. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

/**
 * Told once the platform's answer to a paced send came back, or that the send was not made after all;
 * the send's tokens come back one period after that. Calling it again does nothing.
 */
export type SendFinished = () => void;

/**
 * Added to each token's period (see SendWindow): Tend's clock has 1 ms steps and is not the
 * platform's, so a token back exactly one period after the answer could meet a strict counter at
 * the far end a fraction of a millisecond early. 5 ms costs 0.5 % of a 1 s period.
 */
export const defaultGuardMs = 5;

export interface SendPacerOptions {
  rates: SendRates;
  clock: Clock;
  sleep?: Sleep;
  /** See defaultGuardMs; tests that check exact schedules set 0. */
  guardMs?: number;
  /** Shutdown: aborting it rejects every waiting acquire() and every later one. */
  signal?: AbortSignal;
}

interface Waiter {
  seq: number;
  resolve(finished: SendFinished): void;
  reject(reason: unknown): void;
}

interface Chat {
  window: SendWindow;
  /** This chat's waiters in arrival order; only the first is ever in the lane's heaps. */
  queue: Waiter[];
  /** Its first waiter waits for an answer to one of the chat's sends in flight, in neither heap. */
  awaitingAnswer: boolean;
}

/** A chat whose first waiter may go (by its chat's limit) and waits for its turn on the platform. */
interface Turn {
  seq: number;
  key: string;
}

/** A chat whose first waiter must wait for its chat's limit until `at`. */
interface Timed extends Turn {
  at: number;
}

/** Memory stays bounded: idle chats are forgotten once this many are held (and the bar then doubles with what is left). */
const minimumSweepSize = 1024;

/** One platform: its platform-wide window, its chats, and whose turn it is. */
class Lane {
  readonly overall: SendWindow;
  readonly chats = new Map<string, Chat>();
  readonly ready = new MinHeap<Turn>((a, b) => a.seq < b.seq);
  readonly timed = new MinHeap<Timed>((a, b) => a.at < b.at || (a.at === b.at && a.seq < b.seq));
  seq = 0;
  waiting = 0;
  wakeAt = Number.POSITIVE_INFINITY;
  sweepAbove = minimumSweepSize;

  constructor(
    readonly fullOverall: SendRate | null,
    readonly perChat: SendRate | null,
    readonly guardMs: number,
  ) {
    this.overall = new SendWindow(fullOverall, guardMs);
  }
}

/**
 * Paces outgoing sends per platform so that Tend stays inside each platform's limits: one window for
 * the platform (this instance's share of it when several instances run) and one per chat. A send
 * holds its place in both windows until the caller reports its answer (SendFinished) and one period
 * after, so the platform never counts more than its limit however the requests' travel times vary.
 * Waiters are served in arrival order per platform, except that a waiter whose own chat must still
 * wait lets the ones behind it (for other chats) go first; one chat's waiters always go in their order.
 *
 * Per-chat limits are not split between instances: that assumes one chat's messages are dispatched by
 * one instance at a time, which the outbox dispatcher's per-customer claims give.
 */
export class SendPacer {
  private readonly lanes: Record<Platform, Lane>;
  private readonly clock: Clock;
  private readonly sleep: Sleep;
  private readonly stopping = new AbortController();
  private stopReason: unknown;

  constructor(options: SendPacerOptions) {
    this.clock = options.clock;
    this.sleep = options.sleep ?? realSleep;
    this.lanes = Object.fromEntries(
      platforms.map((platform) => [platform, new Lane(options.rates[platform].overall, options.rates[platform].perChat, options.guardMs ?? defaultGuardMs)]),
    ) as Record<Platform, Lane>;
    const signal = options.signal;
    if (signal) {
      if (signal.aborted) this.close(signal.reason);
      else signal.addEventListener("abort", () => this.close(signal.reason), { once: true });
    }
  }

  /**
   * Resolves when one send to `chatKey` on `platform` is allowed by both the platform-wide and the
   * chat's window, having counted that send, with the function to call once the platform answered
   * (or the send was not made): until then the send holds its place. Rejects with the abort reason
   * if `signal` (or the pacer's shutdown) aborts first.
   */
  acquire(platform: Platform, chatKey: string, signal?: AbortSignal): Promise<SendFinished> {
    if (this.stopping.signal.aborted) return Promise.reject(this.stopReason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    const lane = this.lanes[platform];
    return new Promise<SendFinished>((resolve, reject) => {
      const onAbort = () => this.withdraw(lane, chatKey, waiter, signal!.reason);
      const waiter: Waiter = {
        seq: lane.seq++,
        resolve: (finished) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(finished);
        },
        reject: (reason) => {
          signal?.removeEventListener("abort", onAbort);
          reject(reason);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      const chat = this.chat(lane, chatKey);
      chat.queue.push(waiter);
      lane.waiting++;
      if (chat.queue.length === 1) this.schedule(lane, chatKey, chat, this.now());
      this.pump(lane);
    });
  }

  /**
   * After a 429: no send on the whole platform, nor on that chat, until `retryAfterMs` from now. The
   * platform's answer does not say which of its limits was passed, and one 429 means it counted more
   * than this pacer did (sends Tend made outside it, another program on the same bot): going on at
   * the full pace would meet more. Pauses only extend: a shorter retry-after never shortens a longer pause.
   */
  pause(platform: Platform, retryAfterMs: number, chatKey?: string): void {
    const lane = this.lanes[platform];
    const until = this.now() + Math.max(0, retryAfterMs);
    lane.overall.pauseUntil(until);
    if (chatKey !== undefined) this.chat(lane, chatKey).window.pauseUntil(until);
    this.pump(lane);
  }

  /** This instance's share of a platform-wide limit when `instances` instances send on the platform. */
  shareAmong(platform: Platform, instances: number): void {
    const lane = this.lanes[platform];
    if (!lane.fullOverall) return;
    lane.overall.reshape(shareOfRate(lane.fullOverall, instances));
    this.pump(lane);
  }

  /** The platform-wide rate this instance keeps to now (its share), null for none. */
  overallRate(platform: Platform): SendRate | null {
    return this.lanes[platform].overall.limit;
  }

  /** Waiting acquire() calls and chats held in memory, for metrics and tests. */
  stats(platform: Platform): { waiting: number; chats: number } {
    const lane = this.lanes[platform];
    return { waiting: lane.waiting, chats: lane.chats.size };
  }

  /** Rejects every waiter and every later acquire(); stops the timers. Safe to call twice. */
  close(reason: unknown = new Error("the send pacer is shut down")): void {
    if (this.stopping.signal.aborted) return;
    this.stopReason = reason;
    this.stopping.abort(reason);
    for (const lane of Object.values(this.lanes)) {
      for (const chat of lane.chats.values()) for (const waiter of chat.queue.splice(0)) waiter.reject(reason);
      lane.chats.clear();
      lane.ready.clear();
      lane.timed.clear();
      lane.waiting = 0;
    }
  }

  /**
   * Token periods and pauses are spans: measured on the clock that is never stepped. On the wall clock,
   * a step forward handed tokens back early (more than the limit in one of the platform's seconds: 429s)
   * and a step back held them for as long as the step.
   */
  private now(): number {
    return this.clock.elapsedMs?.() ?? this.clock.now().getTime();
  }

  private chat(lane: Lane, key: string): Chat {
    let chat = lane.chats.get(key);
    if (!chat) {
      chat = { window: new SendWindow(lane.perChat, lane.guardMs), queue: [], awaitingAnswer: false };
      lane.chats.set(key, chat);
    }
    return chat;
  }

  /**
   * Puts a chat's first waiter in line: for its turn if its chat allows a send now, else for that
   * time, or (every send the chat may have in flight is) until an answer comes back.
   */
  private schedule(lane: Lane, key: string, chat: Chat, now: number): void {
    const head = chat.queue[0];
    if (!head) return;
    const at = chat.window.nextFreeAt(now);
    if (at <= now) lane.ready.push({ seq: head.seq, key });
    else this.waitUntil(lane, { seq: head.seq, key }, chat, at);
  }

  private waitUntil(lane: Lane, turn: Turn, chat: Chat, at: number): void {
    if (at === Number.POSITIVE_INFINITY) chat.awaitingAnswer = true;
    else lane.timed.push({ ...turn, at });
  }

  /** The finished() handed out with a send: its tokens start their way back, and whoever waited for them may go. */
  private finisher(lane: Lane, key: string, chat: Chat): SendFinished {
    let done = false;
    return () => {
      if (done || this.stopping.signal.aborted) return;
      done = true;
      const now = this.now();
      lane.overall.finish(now);
      chat.window.finish(now);
      if (chat.awaitingAnswer && lane.chats.get(key) === chat) {
        chat.awaitingAnswer = false;
        this.schedule(lane, key, chat, now);
      } else if (chat.queue.length === 0 && chat.window.isIdle(now) && lane.chats.get(key) === chat) {
        // Nothing to remember (no limit per chat, or none left in this period): forgotten at once.
        lane.chats.delete(key);
      }
      this.pump(lane);
    };
  }

  /** Heap entries are not removed when their waiter leaves or is served; they are checked when they surface. */
  private isCurrent(lane: Lane, entry: Turn): Chat | undefined {
    const chat = lane.chats.get(entry.key);
    return chat?.queue[0]?.seq === entry.seq ? chat : undefined;
  }

  private withdraw(lane: Lane, key: string, waiter: Waiter, reason: unknown): void {
    const chat = lane.chats.get(key);
    const index = chat ? chat.queue.indexOf(waiter) : -1;
    if (!chat || index < 0) return;
    chat.queue.splice(index, 1);
    lane.waiting--;
    waiter.reject(reason);
    if (index === 0) this.schedule(lane, key, chat, this.now());
    this.pump(lane);
  }

  /** Serves every waiter that may go now, in turn, then sets a timer for the next moment one may. */
  private pump(lane: Lane): void {
    if (this.stopping.signal.aborted) return;
    const now = this.now();
    while (lane.timed.size && lane.timed.peek()!.at <= now) {
      const entry = lane.timed.pop()!;
      if (this.isCurrent(lane, entry)) lane.ready.push({ seq: entry.seq, key: entry.key });
    }
    while (lane.ready.size && lane.overall.nextFreeAt(now) <= now) {
      const entry = lane.ready.pop()!;
      const chat = this.isCurrent(lane, entry);
      if (!chat) continue;
      const at = chat.window.nextFreeAt(now);
      // Paused by a 429 since it was put in line.
      if (at > now) {
        this.waitUntil(lane, entry, chat, at);
        continue;
      }
      const waiter = chat.queue.shift()!;
      lane.waiting--;
      lane.overall.take();
      chat.window.take();
      waiter.resolve(this.finisher(lane, entry.key, chat));
      // The chat stays held while its send is in flight; a sweep forgets it once it is idle.
      if (chat.queue.length) this.schedule(lane, entry.key, chat, now);
    }
    const next = Math.min(lane.timed.peek()?.at ?? Number.POSITIVE_INFINITY, lane.ready.size ? lane.overall.nextFreeAt(now) : Number.POSITIVE_INFINITY);
    if (next < Number.POSITIVE_INFINITY) this.wakeAt(lane, next, now);
    if (lane.chats.size > lane.sweepAbove) this.sweep(lane, now);
  }

  private wakeAt(lane: Lane, at: number, now: number): void {
    // A timer for this moment or an earlier one is already set; it will set the next.
    if (at >= lane.wakeAt) return;
    lane.wakeAt = at;
    this.sleep(Math.max(1, at - now), this.stopping.signal).then(
      () => {
        if (lane.wakeAt === at) lane.wakeAt = Number.POSITIVE_INFINITY;
        this.pump(lane);
      },
      () => {},
    );
  }

  /** Forgets chats with nobody waiting whose window is full again and not paused: they hold no information. */
  private sweep(lane: Lane, now: number): void {
    for (const [key, chat] of lane.chats) {
      if (chat.queue.length === 0 && chat.window.isIdle(now)) lane.chats.delete(key);
    }
    lane.sweepAbove = Math.max(minimumSweepSize, 2 * lane.chats.size);
  }
}
