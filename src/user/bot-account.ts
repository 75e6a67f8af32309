/**
 * A bot user's account (§22.14): making this actor's user a bot, and its
 * token's rotation. The bot's secrets and webhook calls are
 * bots/bot-store.ts; the User actor keeps the RPC surface.
 */
import { ParleyError } from "../protocol/index.ts";
import { isBotId } from "../bots/ids.ts";
import type { BotStore } from "../bots/bot-store.ts";
import type { Logger } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { Profiles } from "./profile.ts";
import type { UserStore } from "./store.ts";

/** What the bot account operations work with. */
export interface BotAccountContext {
  store: UserStore;
  profiles: Profiles;
  bot: BotStore;
  log: Logger;
}

/** Makes this actor's user a bot (the operators' route registered its id and username first). */
export async function setupBot(c: BotAccountContext, botId: string, username: string, webhookUrl: string | undefined, profile: { display_name?: string; avatar_url?: string }): Promise<Result<{ token: string; webhook_secret: string }>> {
  if (!isBotId(botId)) return err(new ParleyError("bad_request", "Not a bot id."));
  const existing = c.store.profile();
  if (existing && existing.user_id !== botId) return err(new ParleyError("forbidden", "This actor belongs to another user."));
  c.store.createProfile(botId, username, Date.now());
  if (profile.display_name !== undefined || profile.avatar_url !== undefined) {
    c.store.updateProfile(profile, Date.now());
    await c.profiles.syncDirectory();
  }
  const secrets = await c.bot.setup(botId, webhookUrl);
  c.log("info", "bot.created", { user_id: botId });
  return ok(secrets);
}

/** A new token for this bot (the old one stops at once), or none (`revoke`). */
export async function rotateBotToken(c: BotAccountContext, revoke: boolean): Promise<Result<{ token?: string }>> {
  const botId = c.store.profile()?.user_id;
  if (!botId || !c.bot.get()) return err(new ParleyError("not_found", "No such bot."));
  const token = await c.bot.rotate(botId, revoke);
  c.log("info", revoke ? "bot.token_revoked" : "bot.token_rotated", {});
  return ok(token ? { token } : {});
}
