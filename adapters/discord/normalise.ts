import type { ButtonInteraction, ChatInputCommandInteraction, Message, User } from "discord.js";
import type { InboundMessage } from "../../src/core/channel.ts";
import { commandText } from "./commands.ts";

/** Where replies go: the DM channel with the customer, which also serves proactive sends. */
export function discordAddress(channelId: string): string {
  return `discord:${channelId}`;
}

/** The DM channel id in an address, or undefined when the address is not a Discord one. */
export function channelIdOf(address: string): string | undefined {
  const match = /^discord:(\d{1,25})$/.exec(address);
  return match?.[1];
}

function displayName(user: User): string {
  return user.globalName ?? user.username;
}

/** A direct message from a customer. Discord tells a bot nothing of a user's language here. */
export function fromMessage(message: Message): InboundMessage {
  return {
    platform: "discord",
    platformUserId: message.author.id,
    address: discordAddress(message.channelId),
    platformMessageId: message.id,
    text: message.content,
    displayName: displayName(message.author),
    receivedAt: message.createdAt,
    raw: message.toJSON(),
  };
}

/** A slash command (as the text it stands for) or a button press (as the choice id). */
export function fromInteraction(interaction: ChatInputCommandInteraction | ButtonInteraction): InboundMessage {
  return {
    platform: "discord",
    platformUserId: interaction.user.id,
    address: discordAddress(interaction.channelId),
    platformMessageId: interaction.id,
    ...(interaction.isButton() ? { action: interaction.customId } : { text: commandText(interaction.commandName) }),
    displayName: displayName(interaction.user),
    locale: interaction.locale,
    receivedAt: interaction.createdAt,
    raw: interaction.toJSON(),
  };
}
