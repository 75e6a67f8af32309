/**
 * Bot accounts (docs/protocol.md §22.14, decision 0030). A bot is a user
 * whose id starts with `u_bot_`: every actor tells a bot from a person by its
 * id alone, with no lookup and no stored flag, so a conversation knows which
 * members to call without asking anyone. Only the operators' route mints
 * such ids; access tokens naming one are refused (worker/auth.ts), so no
 * backend and no dev login can speak for a bot.
 *
 * A bot token is `pbt_` + the bot's user id + `.` + 32 random symbols
 * (≈ 190 bits); only its SHA-256 is stored, in the bot's User actor.
 */
import { randomId } from "../shared/ids.ts";

export const BOT_ID_PREFIX = "u_bot_";
const BOT_TOKEN = /^pbt_(u_bot_[0-9A-Za-z]{20})\.([0-9A-Za-z]{32})$/;

export function isBotId(userId: string): boolean {
  return userId.startsWith(BOT_ID_PREFIX);
}

export function newBotId(): string {
  return randomId(BOT_ID_PREFIX, 20);
}

export function newBotToken(botId: string): string {
  return `pbt_${botId}.${randomId("", 32)}`;
}

/** The bot a token claims to be, when it has the form of a bot token (it still must be checked against the stored hash). */
export function botOfToken(token: string): string | undefined {
  return BOT_TOKEN.exec(token)?.[1];
}

/** A signing secret of a bot's webhook or of a webhook endpoint: `whsec_` + 32 random symbols. */
export function newSigningSecret(): string {
  return randomId("whsec_", 32);
}

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
