import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.ts";
import type { InboxUpdate } from "../protocol/inbox.ts";

/**
 * One user: profile, settings, sessions, blocks and the inbox.
 * (Being built; see issue 3.)
 */
export class User extends DurableObject<Env> {
  /** A Conversation actor reports a change the member must learn. Idempotent: max-wins on `version`. */
  async applyConversation(update: InboxUpdate): Promise<void> {
    void update;
    throw new Error("User.applyConversation is not built yet");
  }
}
