/**
 * When the user's web push (§22.16, decision 0032) sends: only while none of
 * their sessions has the app open (judged by the inbox sockets), for a
 * notification or for a direct message that moved its conversation.
 */
import type { Env } from "../env.ts";
import type { InboxUpdate, PushPayload } from "../protocol/index.ts";
import { excerptOf, pushFor } from "../push/payloads.ts";
import type { PushStore } from "../push/push-store.ts";
import { vapidKeysOf } from "../push/webpush.ts";
import type { GroupAccess } from "./group-access.ts";
import type { InboxSockets } from "./inbox-sockets.ts";
import type { UserStore } from "./store.ts";

/** What the push decisions work with. */
export interface PushContext {
  push: PushStore;
  store: UserStore;
  sockets: InboxSockets;
  access: GroupAccess;
  env: Env;
  schedule: (at: number) => void;
}

/**
 * A push to the user's browsers when none of their sessions has the app
 * open — judged by the inbox sockets: the web app keeps one open while it
 * runs (decision 0032). Mute and blocks were checked by the caller.
 */
export function pushIfAway(c: PushContext, payload: PushPayload): void {
  if (c.sockets.readyCount() > 0 || c.push.count() === 0 || !vapidKeysOf(c.env)) return;
  if (c.push.enqueue(payload) > 0) c.schedule(Date.now());
}

/**
 * Whether an inbox update could end in a direct-message push: a direct
 * conversation, the app open nowhere, a subscription and keys. Checked
 * before the update is applied, so the inbox row is read only then.
 */
export function mayPushDirect(c: PushContext, update: InboxUpdate): boolean {
  return update.conversation.kind === "direct" && c.sockets.readyCount() === 0 && c.push.count() > 0 && vapidKeysOf(c.env) !== undefined;
}

/** A direct message that moved the conversation: a push when the user is away, unless muted or from someone blocked either way. */
export function pushDirect(c: PushContext, update: InboxUpdate, before: number): void {
  const conv = update.conversation;
  const me = c.store.profile()?.user_id;
  const m = conv.last_message;
  if (conv.kind !== "direct" || !m || !me || m.sender_id === me || conv.last_seq <= before || m.seq <= before) return;
  if (c.store.isMuted(conv.id, Date.now()) || c.access.isBlockedEitherWay(m.sender_id)) return;
  pushIfAway(c, pushFor("direct", conv.id, m.seq, undefined, excerptOf(m.body)));
}
