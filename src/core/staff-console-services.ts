/**
 * What a staff console may ask of Tend: the port between adapters/slack-staff and the domain.
 * Every call that changes something takes the acting staff member (`StaffActor`) and is audited
 * by the implementation (src/staff-console/services.ts, over the staff and customer services);
 * the console itself only renders and routes.
 */

/** A staff member as the console knows them after access control: the audit's actor. */
export interface StaffActor {
  /** Stable id, `slack:<userId>` for Slack staff: the audit's actorId. */
  id: string;
  /** What people read in the timeline and the audit. */
  name: string;
}

export type StaffAccess = { allowed: true; actor: StaffActor } | { allowed: false; reason: string };

/** Where a staff request came from, for access control and the audit of a refusal. */
export interface SlackRequestOrigin {
  userId: string;
  /** Absent for a modal's submission: the modal remembers the channel it was opened from. */
  channelId: string | undefined;
  /** What was attempted, e.g. "command customer", "action tend.staff.note", "view tend.staff.points". */
  attempt: string;
}

export interface StaffConsoleServices {
  /**
   * Whether this Slack user may act here (a configured staff member, in a configured channel or a
   * direct message with the app). A refusal is logged and audited by the implementation.
   */
  authorizeSlack(origin: SlackRequestOrigin): Promise<StaffAccess>;
}
