import { expect, it } from "vitest";
import { CustomerRepository } from "../src/db/repositories/customer-repository.ts";
import { InteractionRepository } from "../src/db/repositories/interaction-repository.ts";
import { describeEachDatabase } from "./support/databases.ts";

describeEachDatabase("customer and interaction repositories", (db) => {
  const customers = () => new CustomerRepository(db().prisma);
  const interactions = () => new InteractionRepository(db().prisma);

  it("makes one customer per platform user and finds them again", async () => {
    const first = await customers().resolveIdentity({ platform: "telegram", platformUserId: "tg-1", address: "tg:1", displayName: "Ann" });
    expect(first.created).toBe(true);
    expect(first.customer.displayName).toBe("Ann");
    const again = await customers().resolveIdentity({ platform: "telegram", platformUserId: "tg-1", address: "tg:1b" });
    expect(again.created).toBe(false);
    expect(again.customer.id).toBe(first.customer.id);
    expect(again.identity.address).toBe("tg:1b");
    expect((await customers().findByIdentity("telegram", "tg-1"))?.id).toBe(first.customer.id);
    expect(await customers().findByIdentity("discord", "tg-1")).toBeNull();
  });

  it("ends two racing first contacts with one customer", async () => {
    const input = { platform: "discord" as const, platformUserId: "race-1", address: "dc:race" };
    const results = await Promise.all(Array.from({ length: 5 }, () => customers().resolveIdentity(input)));
    expect(new Set(results.map((r) => r.customer.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it("stores consent changes with their time and keeps the history", async () => {
    const { customer } = await customers().resolveIdentity({ platform: "web", platformUserId: "v-1", address: "web:v-1" });
    const stoppedAt = new Date("2026-03-01T10:00:00Z");
    const stopped = await customers().setConsent(customer.id, "care", false, "chat:STOP", stoppedAt);
    expect(stopped.careConsent).toBe(false);
    expect(stopped.careConsentAt?.toISOString()).toBe(stoppedAt.toISOString());
    await customers().setConsent(customer.id, "care", true, "chat:START", new Date("2026-03-02T10:00:00Z"));
    const history = await customers().consentHistory(customer.id);
    expect(history.map((h) => [h.topic, h.granted, h.source])).toEqual([
      ["care", false, "chat:STOP"],
      ["care", true, "chat:START"],
    ]);
  });

  it("updates profile fields, including a date-only birthday and tags", async () => {
    const { customer } = await customers().resolveIdentity({ platform: "slack", platformUserId: "U1", address: "slack:D1" });
    const updated = await customers().update(customer.id, {
      birthday: new Date("1990-05-12T00:00:00Z"),
      timeZone: "Asia/Shanghai",
      locale: "zh-CN",
      quietHoursStart: 22 * 60,
      quietHoursEnd: 8 * 60,
      tags: ["vip", "早鸟"],
    });
    expect(updated.birthday?.toISOString().slice(0, 10)).toBe("1990-05-12");
    expect(updated.tags).toEqual(["vip", "早鸟"]);
    expect(updated.quietHoursStart).toBe(1320);
  });

  it("records interactions once per platform message id and lists the timeline newest first", async () => {
    const { customer } = await customers().resolveIdentity({ platform: "telegram", platformUserId: "tg-2", address: "tg:2" });
    const base = { customerId: customer.id, platform: "telegram" as const, direction: "in" as const, kind: "message" as const };
    const first = await interactions().record({ ...base, text: "hi 👋 你好", platformMessageId: "m-1", occurredAt: new Date("2026-01-01T00:00:00Z") });
    expect(first.duplicate).toBe(false);
    const again = await interactions().record({ ...base, text: "hi 👋 你好", platformMessageId: "m-1" });
    expect(again.duplicate).toBe(true);
    // The same id on another platform is another message.
    const other = await interactions().record({ ...base, platform: "discord", platformMessageId: "m-1", occurredAt: new Date("2026-01-02T00:00:00Z") });
    expect(other.duplicate).toBe(false);
    // Outbound messages often have no platform id; many may lack one.
    await interactions().record({ ...base, direction: "out", text: "a", occurredAt: new Date("2026-01-03T00:00:00Z") });
    await interactions().record({ ...base, direction: "out", kind: "staff_note", text: "b", occurredAt: new Date("2026-01-04T00:00:00Z") });
    const timeline = await interactions().timeline(customer.id);
    expect(timeline.map((i) => i.text)).toEqual(["b", "a", null, "hi 👋 你好"]);
    expect(timeline[0]?.kind).toBe("staff_note");
    expect(await interactions().count(customer.id, new Date("2026-01-02T00:00:00Z"))).toBe(3);
  });

  it("handles concurrent deliveries of the same message once", async () => {
    const { customer } = await customers().resolveIdentity({ platform: "slack", platformUserId: "U-dup", address: "slack:D-dup" });
    const results = await Promise.all(
      Array.from({ length: 4 }, () =>
        interactions().record({ customerId: customer.id, platform: "slack", direction: "in", kind: "message", text: "x", platformMessageId: "ev-9" }),
      ),
    );
    expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
  });
});
