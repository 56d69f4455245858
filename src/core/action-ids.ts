import { assertNever } from "./assert-never.ts";

/**
 * Button ids: every choice Tend offers carries one, the platform gives it back when the button is
 * pressed, and the engine reads it here. The one place that writes and parses them, so a new
 * button cannot drift from the code that answers it. Ids stay short (Telegram allows 64 bytes of
 * callback data; longer ones travel as a key, see adapters/telegram/callback-keys.ts) and never
 * start with "~", which that key uses.
 *
 *   menu:<item>                    a main-menu button
 *   reward:<code>                  a reward in the catalogue (redeem it, after a confirmation)
 *   confirm:<id> / cancel:<id>     the answer to a pending confirmation (a PendingAction id)
 *   survey:<invitationId>:<score>  a survey answer; needs no server-side state (46 bytes at most)
 */
export const MENU_ITEMS = ["points", "rewards", "rate", "agent", "help"] as const;
export type MenuItem = (typeof MENU_ITEMS)[number];

export type Action =
  | { kind: "menu"; item: MenuItem }
  | { kind: "reward"; code: string }
  | { kind: "confirm"; confirmationId: string }
  | { kind: "cancel"; confirmationId: string }
  | { kind: "survey"; invitationId: string; score: number };

const SURVEY = /^survey:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):(\d{1,2})$/i;

/** The id of the button for an action. */
export function actionId(action: Action): string {
  switch (action.kind) {
    case "menu":
      return `menu:${action.item}`;
    case "reward":
      return `reward:${action.code}`;
    case "confirm":
    case "cancel":
      return `${action.kind}:${action.confirmationId}`;
    case "survey":
      return `survey:${action.invitationId}:${action.score}`;
    default:
      return assertNever(action);
  }
}

/**
 * The action behind a pressed button's id; null when the id is none of Tend's (forged, from an
 * old version, truncated). A confirmation id is returned as given: whether it names a live
 * confirmation is for the confirmation store to say.
 */
export function parseAction(id: string): Action | null {
  // A bare verb ("reward") is the verb with an empty argument: the catalogue, an expired confirmation.
  const at = id.indexOf(":");
  const verb = at < 0 ? id : id.slice(0, at);
  const argument = at < 0 ? "" : id.slice(at + 1);
  switch (verb) {
    case "menu":
      return (MENU_ITEMS as readonly string[]).includes(argument) ? { kind: "menu", item: argument as MenuItem } : null;
    case "reward":
      return { kind: "reward", code: argument };
    case "confirm":
    case "cancel":
      return { kind: verb, confirmationId: argument };
    case "survey": {
      const match = SURVEY.exec(id);
      if (!match?.[1] || match[2] === undefined) return null;
      return { kind: "survey", invitationId: match[1].toLowerCase(), score: Number(match[2]) };
    }
    default:
      return null;
  }
}

/** True when a button id claims to answer a survey, well-formed or not (the timeline files it as one). */
export function claimsSurveyAnswer(id: string): boolean {
  return id.startsWith("survey:");
}
