import { Hono, type Context } from "hono";
import {
  AddMembersRequest,
  ConversationId,
  CreateConversationRequest,
  DEFAULT_MEMBER_PAGE,
  HistoryQuery,
  MembersQuery,
  ParleyError,
  PollQuery,
  ReadRequest,
  SendMessageRequest,
  SetRoleRequest,
  UpdateConversationRequest,
  UserId,
  type Member,
} from "../../src/protocol/index.ts";
// Malformed, unknown and not-a-member ids are answered alike, word for word.
import { noSuchConversation } from "../../src/conversation/rules.ts";
import { directConversationId, randomId } from "../../src/shared/ids.ts";
import { unwrap } from "../../src/shared/result.ts";
import { conversation, directory, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";
import { forwardUpgrade, upgradeChecks } from "../upgrade.ts";
import { perUserLimit } from "../user-limits.ts";

/**
 * The conversation id of the path, or `404 not_found` for one that is
 * malformed. Every conversation route reads its id here, so a rule about
 * which ids may address an actor lives in one place.
 */
function conversationIdOf(c: Context<AppEnv>): string {
  return readParam(c, "id", ConversationId, noSuchConversation);
}
const noSuchMember = () => new ParleyError("not_found", "No such member.");

/** `/v1/conversations/*`: create, read, history, send, members, long-poll, and the socket upgrade. */
export const conversationRoutes = new Hono<AppEnv>();

conversationRoutes.post("/", requireAuth(), async (c) => {
  const me = c.get("principal");
  const input = await readJson(c, CreateConversationRequest);
  let id: string;
  let members: Member[];
  if (input.kind === "direct") {
    const other = await directory(c.env).lookup(input.with);
    if (!other) throw new ParleyError("not_found", `No user named ${input.with}.`);
    if (other.id === me.userId) throw new ParleyError("bad_request", "with: a direct conversation needs another user.");
    id = await directConversationId(me.userId, other.id);
    members = [
      { user_id: me.userId, username: me.username, role: "member" },
      { user_id: other.id, username: other.username, role: "member" },
    ];
  } else {
    const { found, missing } = await directory(c.env).lookupMany(input.members);
    if (missing.length > 0) throw new ParleyError("not_found", `No user named ${missing.join(", ")}.`);
    id = randomId("c_g", 20);
    members = [
      { user_id: me.userId, username: me.username, role: "owner" },
      ...found.filter((u) => u.id !== me.userId).map((u): Member => ({ user_id: u.id, username: u.username, role: "member" })),
    ];
  }
  const result = unwrap(
    await conversation(c.env, id).create({
      conversation_id: id,
      kind: input.kind,
      ...(input.kind === "group" ? { title: input.title } : {}),
      created_by: me.userId,
      members,
    }),
  );
  return c.json({ conversation: result.conversation }, result.created ? 201 : 200);
});

conversationRoutes.get("/", requireAuth(), async (c) => {
  // The caller's inbox index, kept by their User actor from the conversations' outboxes.
  return c.json({ conversations: unwrap(await user(c.env, c.get("principal").userId).listConversations()) });
});

conversationRoutes.get("/:id", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const view = unwrap(await conversation(c.env, id).describe(c.get("principal").userId));
  return c.json({ conversation: view });
});

conversationRoutes.get("/:id/members", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const { after, limit } = readQuery(c, MembersQuery);
  return c.json(unwrap(await conversation(c.env, id).members(c.get("principal").userId, after, limit ?? DEFAULT_MEMBER_PAGE)));
});

conversationRoutes.get("/:id/messages", requireAuth(), perUserLimit("history"), async (c) => {
  const id = conversationIdOf(c);
  const query = readQuery(c, HistoryQuery);
  return c.json(unwrap(await conversation(c.env, id).history(c.get("principal").userId, query)));
});

conversationRoutes.post("/:id/messages", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const input = await readJson(c, SendMessageRequest);
  return c.json(unwrap(await conversation(c.env, id).send(c.get("principal").userId, input, c.get("requestId"))));
});

conversationRoutes.patch("/:id", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const { title } = await readJson(c, UpdateConversationRequest);
  return c.json(unwrap(await conversation(c.env, id).setTitle(c.get("principal").userId, title)));
});

conversationRoutes.post("/:id/members", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const { usernames } = await readJson(c, AddMembersRequest);
  const { found, missing } = await directory(c.env).lookupMany(usernames);
  if (missing.length > 0) throw new ParleyError("not_found", `No user named ${missing.join(", ")}.`);
  const members = found.map((u): Member => ({ user_id: u.id, username: u.username, role: "member" }));
  return c.json(unwrap(await conversation(c.env, id).addMembers(c.get("principal").userId, members)));
});

conversationRoutes.delete("/:id/members/:user_id", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const target = readParam(c, "user_id", UserId, noSuchMember);
  return c.json(unwrap(await conversation(c.env, id).removeMember(c.get("principal").userId, target)));
});

conversationRoutes.patch("/:id/members/:user_id", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const target = readParam(c, "user_id", UserId, noSuchMember);
  const { role } = await readJson(c, SetRoleRequest);
  return c.json(unwrap(await conversation(c.env, id).setRole(c.get("principal").userId, target, role)));
});

conversationRoutes.post("/:id/read", requireAuth(), async (c) => {
  const id = conversationIdOf(c);
  const { up_to_seq } = await readJson(c, ReadRequest);
  return c.json(unwrap(await conversation(c.env, id).markRead(c.get("principal").userId, up_to_seq)));
});

conversationRoutes.get("/:id/poll", requireAuth(), perUserLimit("poll"), async (c) => {
  const id = conversationIdOf(c);
  const { after_seq, timeout_ms } = readQuery(c, PollQuery);
  return c.json(unwrap(await conversation(c.env, id).poll(c.get("principal").userId, after_seq, timeout_ms ?? 25_000)));
});

conversationRoutes.get("/:id/ws", ...upgradeChecks, async (c) => {
  const id = conversationIdOf(c);
  return forwardUpgrade(c, conversation(c.env, id));
});
