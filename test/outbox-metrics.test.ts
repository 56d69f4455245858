import { expect, it } from "vitest";
import { type ChannelAdapter, ChannelError, type Platform } from "../src/core/channel.ts";
import { ManualClock } from "../src/core/clock.ts";
import { OutboxRepository, enqueue } from "../src/db/repositories/outbox-repository.ts";
import { createLogger } from "../src/observability/logger.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { Dispatcher } from "../src/outreach/dispatcher.ts";
import { outboxMetrics } from "../src/outreach/outbox-metrics.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("outbox metrics", (db) => {
  it("shows outbox depth by status, sends by platform and result, policy skips and defers by reason, and 429s", async () => {
    const prisma = db().prisma;
    const clock = new ManualClock("2026-06-01T09:00:00Z");
    const customer = await prisma.customer.create({ data: {} });
    await prisma.channelIdentity.create({ data: { customerId: customer.id, platform: "telegram", platformUserId: "m1", address: "tg:m1" } });
    const draft = (key: string, topic: "care" | "marketing" | "staff") => ({ customerId: customer.id, topic, kind: key, message: { text: key }, dedupeKey: key, notBefore: clock.now() });
    await enqueue(prisma, [draft("ok", "staff"), draft("busy", "staff"), draft("later", "care"), draft("never", "marketing")]);

    const telegram: ChannelAdapter = {
      platform: "telegram",
      start: async () => {},
      stop: async () => {},
      send: async (_address, message) => {
        if (message.text === "busy") throw new ChannelError("telegram", "rate_limited", "429", { retryAfterMs: 5000 });
        return { platformMessageId: "m-1" };
      },
    };
    const metrics = createMetrics();
    const outbox = new OutboxRepository(prisma);
    metrics.watchOutboxDepth(() => outbox.depthByStatus());
    const dispatcher = new Dispatcher({
      outbox,
      channels: { channel: (p: Platform) => (p === "telegram" ? telegram : undefined), runningPlatforms: () => ["telegram"] },
      clock,
      logger: createLogger("silent"),
      instanceId: "metrics",
      observer: outboxMetrics(metrics),
      gate: async (topic) =>
        topic === "care"
          ? { action: "defer", until: new Date(clock.now().getTime() + 3_600_000), reason: "quiet_hours" }
          : topic === "marketing"
            ? { action: "skip", reason: "no_consent:marketing" }
            : { action: "send" },
    });
    expect(await dispatcher.runOnce()).toBe(4);

    const text = await metrics.registry.metrics();
    expect(text).toContain('tend_outbox_sends_total{platform="telegram",result="sent"} 1');
    expect(text).toContain('tend_outbox_sends_total{platform="telegram",result="rate_limited"} 1');
    expect(text).toContain('tend_outbox_rate_limited_total{platform="telegram"} 1');
    expect(text).toContain('tend_outbox_policy_total{action="defer",reason="quiet_hours"} 1');
    expect(text).toContain('tend_outbox_policy_total{action="skip",reason="no_consent:marketing"} 1');
    // Pending: the rate-limited and the deferred one; one sent, one skipped.
    expect(text).toContain('tend_outbox_messages{status="pending"} 2');
    expect(text).toContain('tend_outbox_messages{status="sent"} 1');
    expect(text).toContain('tend_outbox_messages{status="skipped"} 1');
    expect(text).toContain('tend_outbox_messages{status="dead"} 0');
  });
});
