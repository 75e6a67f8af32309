/**
 * Bots shown as bots (docs/protocol.md §22.14): a bot's `UserView` carries
 * `bot: true`, and every bot id starts with `u_bot_`, so a message or a
 * member entry (which carry ids, not flags) is told apart by its id.
 */
import type { Chat } from "../chat.ts";

/** The prefix the protocol gives every bot's user id. */
export const BOT_ID_PREFIX = "u_bot_";

/** Whether this user is a bot: the flag of a profile seen, or the id's prefix. */
export function isBot(chat: Chat | undefined, userId: string | undefined): boolean {
  if (!userId) return false;
  return userId.startsWith(BOT_ID_PREFIX) || chat?.people.value.get(userId)?.bot === true;
}

/** A small "Bot" label after a name; nothing for a person. Read out as part of the name. */
export function BotBadge({ chat, userId, bot }: { chat?: Chat; userId?: string; bot?: boolean }) {
  if (!(bot === true || isBot(chat, userId))) return null;
  return (
    <span class="bot-badge" data-testid="bot-badge" title="This account is a bot">
      Bot
    </span>
  );
}
