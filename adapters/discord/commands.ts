import { ApplicationIntegrationType, InteractionContextType, type RESTPostAPIChatInputApplicationCommandsJSONBody } from "discord.js";

/**
 * The slash commands Tend registers, each standing for a text the engine understands (the same
 * words a customer could type). Offered in the bot's DMs only: Tend talks to customers one to one.
 */
export const slashCommands: ReadonlyArray<{ name: string; text: string; description: string; descriptionZh: string }> = [
  { name: "help", text: "help", description: "What I can do for you", descriptionZh: "我能为您做什么" },
  { name: "points", text: "points", description: "Your points and tier", descriptionZh: "您的积分和等级" },
  { name: "rewards", text: "rewards", description: "Rewards you can choose", descriptionZh: "可兑换的奖励" },
  { name: "feedback", text: "rate us", description: "Tell us how we are doing", descriptionZh: "评价我们" },
];

/** The text a slash command stands for; an unknown (stale) command reaches the engine as typed. */
export function commandText(name: string): string {
  return slashCommands.find((command) => command.name === name)?.text ?? `/${name}`;
}

export function commandDefinitions(): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  return slashCommands.map((command) => ({
    name: command.name,
    description: command.description,
    description_localizations: { "zh-CN": command.descriptionZh },
    contexts: [InteractionContextType.BotDM],
    integration_types: [ApplicationIntegrationType.GuildInstall],
  }));
}
