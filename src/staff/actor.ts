/**
 * Who did something on the staff side. Every staff action (HTTP API, Slack, CLI, the dashboard)
 * carries one, and the audit log records it: staff are identified people or named integrations,
 * never a shared key or a free-text name typed into a request.
 */
export type ActorKind = "staff" | "integration";

/** Where the action came from. */
export type ActorVia = "slack" | "api" | "cli" | "web";

export interface Actor {
  /** A person on the team, or a named integration (a shop, a CRM sync) using its own API key. */
  kind: ActorKind;
  /**
   * Stable id, unique across ways in: `slack:<userId>` for Slack staff, `apikey:<keyName>` for an
   * HTTP API key, `cli:<os user>` for the command line. The audit's actorId.
   */
  id: string;
  /** What people read: the staff member's name, or the key's name. */
  name: string;
  via: ActorVia;
}

/** The actor id of a Slack user. */
export function slackActorId(slackUserId: string): string {
  return `slack:${slackUserId}`;
}

/** The actor id of a named HTTP API key. */
export function apiKeyActorId(keyName: string): string {
  return `apikey:${keyName}`;
}

/** The person running `tend` on this machine: the CLI's actor (whoever can run it can open the database anyway). */
export function cliActor(userName: string = currentUserName()): Actor {
  return { kind: "staff", id: `cli:${userName}`, name: userName, via: "cli" };
}

function currentUserName(): string {
  const fromEnv = process.env.USER ?? process.env.USERNAME ?? process.env.LOGNAME;
  if (fromEnv?.trim()) return fromEnv.trim();
  return "cli";
}
