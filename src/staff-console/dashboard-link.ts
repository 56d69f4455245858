import type { DashboardLinkResult, StaffConsoleServices } from "../core/staff-console-services.ts";
import type { DashboardAuth } from "../dashboard/dashboard-auth.ts";
import { loginLinkUrl } from "../dashboard/login-link-url.ts";
import { TendError } from "../errors.ts";
import type { StaffService } from "../staff/staff-service.ts";

export interface DashboardLinkDependencies {
  auth: DashboardAuth;
  staff: StaffService;
  /** TEND_PUBLIC_URL: where staff open Tend. Unset: no link can be sent (a localhost link would mislead). */
  publicUrl: string | undefined;
}

/**
 * `/tend login`: a one-time dashboard sign-in link for the Slack staff member asking, made as
 * `tend staff login-link` makes it (DashboardAuth.createLoginLink, audited as dashboard.login_link
 * by the asker). Someone the dashboard does not take as staff is refused, and that is audited too.
 */
export function dashboardLinkService(deps: DashboardLinkDependencies): NonNullable<StaffConsoleServices["dashboardLink"]> {
  return async (slackUserId, actor): Promise<DashboardLinkResult> => {
    if (!deps.publicUrl) {
      await deps.staff.audit(actor, "dashboard.login_link", { outcome: "refused", detail: { reason: "TEND_PUBLIC_URL is not set" } });
      return { status: "unavailable", message: "The dashboard's address is not configured: an administrator sets TEND_PUBLIC_URL (the address staff open Tend at)." };
    }
    try {
      const link = await deps.auth.createLoginLink(slackUserId, actor);
      return { status: "made", url: loginLinkUrl(deps.publicUrl, link.token), expiresAt: link.expiresAt, name: link.actor.name };
    } catch (error) {
      if (!(error instanceof TendError) || error.code !== "DASHBOARD_NOT_STAFF") throw error;
      await deps.staff.audit(actor, "dashboard.login_link", { outcome: "refused", detail: { reason: "not a staff member of the dashboard" } });
      return { status: "refused", message: "Sorry, the dashboard is for Tend's staff only." };
    }
  };
}
