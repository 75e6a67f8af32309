/**
 * Creating a conversation (the Worker's `create` RPC): the rules of a new
 * conversation, the admission of a new group's members, and the one
 * synchronous step that writes it with its first webhook event and the
 * members' "added" notifications.
 */
import { ParleyError, toParleyError, type ConversationView, type Member } from "../protocol/index.ts";
import { notificationId } from "../shared/ids.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { ConversationHooks } from "../webhooks/hooks.ts";
import { admitMembers, type MembershipContext } from "./membership.ts";

export interface CreateInput {
  conversation_id: string;
  kind: "direct" | "group";
  title?: string;
  created_by: string;
  members: Member[];
}

/**
 * Creates the conversation; for an existing one, returns it unchanged. A
 * new group first spends its creator's budget and asks every other
 * member's User actor whether the creator may add them (membership.ts,
 * admitMembers).
 */
export async function createConversation(cx: MembershipContext, hooks: ConversationHooks, input: CreateInput): Promise<Result<{ conversation: ConversationView; created: boolean }>> {
  const { store, outbox } = cx;
  if (input.kind === "direct" && store.isBlocked(input.created_by)) {
    return err(new ParleyError("forbidden", "You cannot start a conversation with this user."));
  }
  if (input.members.length > cx.maxMembers) {
    return err(new ParleyError("conflict", `A group has at most ${cx.maxMembers} members.`));
  }
  if (input.kind === "group" && !store.meta) {
    try {
      const others = input.members.filter((m) => m.user_id !== input.created_by);
      const admittedUntil = await admitMembers(cx, input.conversation_id, input.created_by, "create", others);
      if (others.length > 0 && Date.now() > admittedUntil) return err(new ParleyError("internal", "Creating the group took too long; retry."));
    } catch (e) {
      return err(toParleyError(e));
    }
  }
  // A new conversation learns which webhook endpoints exist before its first event.
  if (!store.meta) await hooks.refresh(true);
  const now = Date.now();
  const created = store.transaction(() => {
    const meta = { conversationId: input.conversation_id, kind: input.kind, title: input.title, createdBy: input.created_by, createdAt: now };
    if (!store.create(meta, input.members, now)) return false;
    hooks.keep();
    hooks.record("conversation.created", input.conversation_id, { conversation: store.view(), created_by: input.created_by });
    // Every member's inbox learns the new conversation from the first sweep.
    store.bumpVersion(true);
    if (input.kind === "group") {
      for (const m of input.members) {
        if (m.user_id === input.created_by) continue;
        outbox.enqueueNotification({
          id: notificationId(input.conversation_id, 0, "added", now), user_id: m.user_id, kind: "added", seq: 0, created_at: now,
          caused_by: input.created_by,
        });
      }
    }
    return true;
  });
  if (created) {
    cx.schedule(now);
    cx.schedule(cx.fanout.changed(now));
    cx.log("info", "conversation.created", { kind: input.kind, members: input.members.length });
  } else if (store.meta?.kind !== input.kind) {
    return err(new ParleyError("conflict", "A conversation with this id exists with another kind."));
  }
  return ok({ conversation: store.view(), created });
}
