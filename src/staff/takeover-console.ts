import type { StaffAlertServices } from "../core/staff-alert-services.ts";
import type { CustomerService } from "../customers/customer-service.ts";
import type { StaffService } from "./staff-service.ts";
import type { StaffSide } from "./takeover-setup.ts";

/** The staff console's alert and takeover-thread port (src/core/staff-alert-services.ts) over the staff side. */
export function staffAlertServices(deps: { side: StaffSide; staff: StaffService; customers: CustomerService; internalPrefix: string }): StaffAlertServices {
  const { side, staff, customers } = deps;
  return {
    internalPrefix: deps.internalPrefix,

    async claim(alertId, actor) {
      const result = await side.alerts.claim(alertId, actor);
      if (result.status === "claimed") return { status: "claimed" };
      if (result.status === "not_found") return result;
      return { status: result.status, by: result.by } as Awaited<ReturnType<StaffAlertServices["claim"]>>;
    },

    async describe(alertId) {
      const alert = await side.alerts.find(alertId);
      if (!alert) return null;
      const view = await side.alerts.view(alert);
      return { customerId: alert.customerId, summary: view.summary, resolvable: alert.caseId !== null, resolvedBy: view.resolvedBy };
    },

    async resolve(alertId, actor, resolution) {
      const result = await side.alerts.resolve(alertId, actor, resolution);
      switch (result.status) {
        case "resolved":
          return { status: "resolved", followUpQueued: result.followUpQueued, notQueuedBecause: result.notQueuedBecause };
        case "already_resolved":
          return { status: "already_resolved", by: result.by };
        default:
          return { status: result.status };
      }
    },

    async threadMessage(message) {
      const outcome = await side.takeover.threadMessage(message);
      if (outcome.status === "relayed") return { status: "relayed" };
      if (outcome.status === "note") return { status: "note", why: outcome.why, owner: outcome.owner };
      return { status: "ignored" };
    },

    staffBySlackId: (slackUserId) => staff.slackActor(slackUserId),

    async handToColleague(alertId, actor, colleague) {
      const result = await side.takeover.handToColleague(alertId, actor, colleague);
      return result.status === "handed" ? { status: "handed", to: result.to } : result;
    },

    async release(target, actor) {
      let customerId: string | undefined;
      if ("alertId" in target) customerId = (await side.alerts.find(target.alertId))?.customerId;
      else customerId = (await customers.find(target.customer))?.id;
      if (!customerId) return { status: "not_found" };
      const result = await side.takeover.release(customerId, actor);
      return result.status === "released" ? { status: "released", customerNotified: result.customerNotified } : { status: result.status };
    },

    threadForTakeover: (customerId, actor) => side.takeover.threadForTakeover(customerId, actor),
  };
}
