import type { Prisma, PrismaClient } from "../../src/db/generated/client.ts";
import { randomCode } from "../../src/linking/code.ts";

/**
 * A customer with a row in every table that holds customer data (test/customer-tables.test.ts
 * fails until a new table gets one here); personal text carries `tag`; times start at `base`.
 */
export async function seedCustomer(prisma: PrismaClient, tag: string, base: Date, profile: Prisma.CustomerCreateInput = {}) {
  const at = (minutes: number) => new Date(base.getTime() + minutes * 60_000);
  const customer = await prisma.customer.create({
    data: {
      displayName: `Name ${tag}`,
      email: `${tag}@example.com`,
      phone: `+86 138 0000 ${tag.length}`,
      birthday: new Date("1990-05-12T00:00:00Z"),
      lunarBirthMonth: 4,
      lunarBirthDay: 18,
      externalId: `crm-${tag}`,
      timeZone: "Asia/Shanghai",
      quietHoursStart: 22 * 60,
      quietHoursEnd: 8 * 60,
      tags: ["vip", `tag-${tag}`],
      createdAt: at(0),
      ...profile,
    },
  });
  const customerId = customer.id;
  await prisma.channelIdentity.create({
    data: { customerId, platform: "telegram", platformUserId: `tg-${tag}`, address: `tg:${tag}`, displayName: `tg ${tag}`, createdAt: at(0), lastSeenAt: at(50) },
  });
  await prisma.consentChange.create({ data: { customerId, topic: "marketing", granted: true, source: "chat:START", changedAt: at(1) } });
  await prisma.interaction.createMany({
    data: [
      { customerId, platform: "telegram", direction: "in", kind: "message", text: `hello from ${tag} 你好`, platformMessageId: `m-${tag}-1`, metadata: { lang: "zh" }, occurredAt: at(2) },
      { customerId, platform: "telegram", direction: "out", kind: "care", text: `reply to ${tag}`, occurredAt: at(20) },
    ],
  });
  const order = await prisma.order.create({
    data: { customerId, externalId: `order-${tag}`, amount: "12.50", currency: "CNY", placedAt: at(3) },
  });
  const reward = await prisma.reward.create({ data: { code: `coffee-${randomCode()}`, name: "Coffee", cost: 5 } });
  await prisma.loyaltyLedgerEntry.create({
    data: { customerId, kind: "earn", points: 12, reason: `order ${tag}`, orderId: order.id, idempotencyKey: `earn:${tag}`, createdAt: at(3) },
  });
  await prisma.loyaltyLedgerEntry.create({ data: { customerId, kind: "redeem", points: -5, rewardId: reward.id, createdAt: at(4) } });
  const invitation = await prisma.surveyInvitation.create({
    data: { customerId, kind: "csat", platform: "telegram", status: "answered", context: `order-${tag}`, sentAt: at(5), expiresAt: at(5 + 72 * 60) },
  });
  const response = await prisma.surveyResponse.create({
    data: { invitationId: invitation.id, customerId, score: 2, reason: `slow delivery for ${tag}`, respondedAt: at(6), reasonAt: at(7) },
  });
  await prisma.feedbackCase.create({
    data: { customerId, source: "survey", surveyResponseId: response.id, summary: `${tag} says delivery was slow`, resolution: `refunded ${tag}`, status: "closed", openedAt: at(8), closedAt: at(9) },
  });
  await prisma.feedbackCase.create({ data: { customerId, source: "complaint", summary: `${tag} complaint`, openedAt: at(10) } });
  await prisma.outboxMessage.create({
    data: { customerId, kind: "care", payload: { text: `see you soon ${tag}` }, dedupeKey: `care:${tag}`, notBefore: at(60), createdAt: at(11) },
  });
  await prisma.outboxMessage.create({
    data: { customerId, kind: "care", payload: { text: `sent to ${tag}` }, dedupeKey: `sent:${tag}`, status: "sent", sentAt: at(12), createdAt: at(12) },
  });
  // A care plan's held-out (control) row: planned with its text, never sent.
  await prisma.outboxMessage.create({
    data: { customerId, kind: "winback", payload: { text: `we miss you ${tag}` }, dedupeKey: `control:${tag}`, status: "control", createdAt: at(13) },
  });
  await prisma.pendingAction.create({ data: { customerId, kind: "survey_reason", payload: { invitationId: invitation.id }, createdAt: at(13), expiresAt: at(73) } });
  await prisma.linkCode.create({ data: { code: randomCode(), customerId, createdAt: at(14), expiresAt: at(24) } });
  await prisma.customerScore.create({
    data: {
      customerId,
      computedAt: at(15),
      windowStart: at(-24 * 30 * 24 * 60),
      windowMonths: 24,
      orderCount: 1,
      firstOrderAt: at(3),
      lastOrderAt: at(3),
      recencyDays: 0,
      frequency: 1,
      monetary: "12.50",
      lifecycleStage: "new",
      relationshipLevel: "basic",
      historicClv: "12.50",
      explanation: { note: `scored ${tag}` },
    },
  });
  return customer;
}
