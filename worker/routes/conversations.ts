import { Hono, type Context } from "hono";
import { authSecret } from "../../src/auth/secret.ts";
import {
  AddMembersRequest,
  AttachmentId,
  ConversationId,
  ConversationListQuery,
  CreateConversationRequest,
  DEFAULT_MEMBER_PAGE,
  EditMessageRequest,
  HistoryQuery,
  MembersQuery,
  MessageSearchQuery,
  MuteRequest,
  ParleyError,
  PollQuery,
  Reaction,
  ReadRequest,
  SendMessageRequest,
  SeqParam,
  SetRoleRequest,
  UpdateConversationRequest,
  UploadQuery,
  UserId,
  type Member,
} from "../../src/protocol/index.ts";
import { INLINE_TYPES, imageSize } from "../../src/conversation/attachments.ts";
import { configOf } from "../../src/shared/config.ts";
import { directConversationId, groupConversationId, verifyConversationId } from "../../src/shared/ids.ts";
// Malformed, unknown and not-a-member ids are answered alike, word for word.
import { noSuchConversation } from "../../src/conversation/rules.ts";
import { unwrap } from "../../src/shared/result.ts";
import { conversation, directory, user } from "../actors.ts";
import { requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";
import { forwardUpgrade, upgradeChecks } from "../upgrade.ts";
import { perUserLimit } from "../user-limits.ts";
import { countSendLatency } from "../metrics.ts";

/**
 * The conversation id of the path, or `404 not_found` for one that is
 * malformed or that this deployment never minted (its MAC does not check
 * out, decision 0015): such an id reaches no actor. Every conversation
 * route reads its id here, so a rule about which ids may address an actor
 * lives in one place.
 */
async function conversationIdOf(c: Context<AppEnv>): Promise<string> {
  const id = readParam(c, "id", ConversationId, noSuchConversation);
  if (!(await verifyConversationId(authSecret(c.env), id))) throw noSuchConversation();
  return id;
}
const noSuchMember = () => new ParleyError("not_found", "No such member.");
const noSuchMessage = () => new ParleyError("not_found", "No such message.");
const noSuchAttachment = () => new ParleyError("not_found", "No such attachment.");

/** `/v1/conversations/*`: create, read, history, send, members, long-poll, and the socket upgrade. */
export const conversationRoutes = new Hono<AppEnv>();

conversationRoutes.post("/", requireAuth(), async (c) => {
  const me = c.get("principal");
  const input = await readJson(c, CreateConversationRequest);
  // The creator is listed under the Directory's username, never the token's claim: registering
  // (idempotent) answers the registered spelling, or conflict when the claim names someone else.
  const self = unwrap(await directory(c.env).register(me.userId, me.username));
  let id: string;
  let members: Member[];
  if (input.kind === "direct") {
    const other = await directory(c.env).lookup(input.with);
    if (!other) throw new ParleyError("not_found", `No user named ${input.with}.`);
    if (other.id === me.userId) throw new ParleyError("bad_request", "with: a direct conversation needs another user.");
    id = await directConversationId(authSecret(c.env), me.userId, other.id);
    members = [
      { user_id: me.userId, username: self.username, role: "member" },
      { user_id: other.id, username: other.username, role: "member" },
    ];
  } else {
    const { found, missing } = await directory(c.env).lookupMany(input.members);
    if (missing.length > 0) throw new ParleyError("not_found", `No user named ${missing.join(", ")}.`);
    id = await groupConversationId(authSecret(c.env));
    members = [
      { user_id: me.userId, username: self.username, role: "owner" },
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
  // A page of the caller's inbox index, kept by their User actor from the conversations' outboxes.
  const { cursor, limit } = readQuery(c, ConversationListQuery);
  return c.json(unwrap(await user(c.env, c.get("principal").userId).listConversations({ cursor, limit })));
});

conversationRoutes.get("/:id", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const view = unwrap(await conversation(c.env, id).describe(c.get("principal").userId));
  return c.json({ conversation: view });
});

conversationRoutes.get("/:id/members", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { after, limit } = readQuery(c, MembersQuery);
  return c.json(unwrap(await conversation(c.env, id).members(c.get("principal").userId, after, limit ?? DEFAULT_MEMBER_PAGE)));
});

/**
 * `POST …/attachments?name=` (since v1.1): the request body is the file,
 * its Content-Type one of ATTACHMENT_TYPES, at most MAX_ATTACHMENT_BYTES.
 * The actor reserves it first, so it knows of every object that may exist;
 * answered 201 `{attachment}`, to be sent with a message within a day.
 */
conversationRoutes.post("/:id/attachments", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { maxAttachmentBytes, attachmentTypes } = configOf(c.env);
  const type = (c.req.header("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!attachmentTypes.has(type)) {
    throw new ParleyError("bad_request", `Content-Type: ${type || "(none)"} is not accepted; send one of ${[...attachmentTypes].join(", ")}.`);
  }
  const { name } = readQuery(c, UploadQuery);
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxAttachmentBytes) throw new ParleyError("payload_too_large", `A file may be at most ${maxAttachmentBytes} bytes.`);
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.length > maxAttachmentBytes) throw new ParleyError("payload_too_large", `A file may be at most ${maxAttachmentBytes} bytes.`);
  if (bytes.length === 0) throw new ParleyError("bad_request", "The request body is the file, and it is empty.");
  const me = c.get("principal").userId;
  const actor = conversation(c.env, id);
  const reserved = unwrap(await actor.reserveAttachment(me, name, type));
  await c.env.FILES.put(reserved.key, bytes, { httpMetadata: { contentType: type } });
  const size = imageSize(bytes, type);
  const attachment = unwrap(await actor.attachmentReady(me, reserved.id, bytes.length, size?.width, size?.height));
  return c.json({ attachment }, 201);
});

/**
 * `GET …/attachments/{attachment_id}` (since v1.1): for members. Never
 * sniffed; shown inline only for PNG, JPEG, GIF and WebP, a download
 * otherwise; no script runs from it (CSP sandbox).
 */
conversationRoutes.get("/:id/attachments/:attachment", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const attachmentId = readParam(c, "attachment", AttachmentId, noSuchAttachment);
  const file = unwrap(await conversation(c.env, id).attachmentFor(c.get("principal").userId, attachmentId));
  const object = await c.env.FILES.get(file.key);
  if (!object) throw noSuchAttachment();
  const disposition = INLINE_TYPES.has(file.content_type) ? "inline" : "attachment";
  return new Response(object.body, {
    headers: {
      "Content-Type": file.content_type,
      "Content-Length": String(object.size),
      "Content-Disposition": `${disposition}; filename*=UTF-8''${encodeURIComponent(file.name)}`,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cache-Control": "private, max-age=3600",
    },
  });
});

/**
 * `PUT …/mute {until?}` and `DELETE …/mute` (since v1.1): the caller mutes
 * the conversation (until a time in ms, or for ever) or unmutes it. Members
 * only: the conversation answers for that; the caller's User actor keeps it.
 */
conversationRoutes.put("/:id/mute", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { until } = await readJson(c, MuteRequest);
  const me = c.get("principal").userId;
  unwrap(await conversation(c.env, id).describe(me));
  return c.json(unwrap(await user(c.env, me).setMute(id, until)));
});

conversationRoutes.delete("/:id/mute", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const me = c.get("principal").userId;
  unwrap(await conversation(c.env, id).describe(me));
  return c.json(unwrap(await user(c.env, me).setMute(id, false)));
});

/** `GET …/search?q=&limit=&cursor=` (since v1.1): full-text search of one conversation, ranked, paged. */
conversationRoutes.get("/:id/search", requireAuth(), perUserLimit("search"), async (c) => {
  const id = await conversationIdOf(c);
  const { q, limit, cursor } = readQuery(c, MessageSearchQuery);
  return c.json(unwrap(await conversation(c.env, id).search(c.get("principal").userId, q, limit ?? 20, Number(cursor ?? 0))));
});

conversationRoutes.get("/:id/messages", requireAuth(), perUserLimit("history"), async (c) => {
  const id = await conversationIdOf(c);
  const query = readQuery(c, HistoryQuery);
  return c.json(unwrap(await conversation(c.env, id).history(c.get("principal").userId, query)));
});

conversationRoutes.post("/:id/messages", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const input = await readJson(c, SendMessageRequest);
  const started = Date.now();
  const result = await conversation(c.env, id).send(c.get("principal").userId, input, c.get("requestId"));
  if (result.ok) countSendLatency(c.env, Date.now() - started);
  return c.json(unwrap(result));
});

/** `PATCH …/messages/{seq} {body}` (since v1.1): edits; answered with the `change.ack` fields. */
conversationRoutes.patch("/:id/messages/:seq", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const seq = readParam(c, "seq", SeqParam, noSuchMessage);
  const { body } = await readJson(c, EditMessageRequest);
  return c.json(unwrap(await conversation(c.env, id).change(c.get("principal").userId, { kind: "edit", seq, body })));
});

/** `DELETE …/messages/{seq}` (since v1.1): leaves a tombstone. */
conversationRoutes.delete("/:id/messages/:seq", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const seq = readParam(c, "seq", SeqParam, noSuchMessage);
  return c.json(unwrap(await conversation(c.env, id).change(c.get("principal").userId, { kind: "delete", seq })));
});

/** `PUT` / `DELETE …/messages/{seq}/reactions/{reaction}` (since v1.1): the caller's reaction, URL-encoded in the path. */
for (const method of ["put", "delete"] as const) {
  conversationRoutes[method]("/:id/messages/:seq/reactions/:reaction", requireAuth(), async (c) => {
    const id = await conversationIdOf(c);
    const seq = readParam(c, "seq", SeqParam, noSuchMessage);
    const reaction = readParam(c, "reaction", Reaction, () => new ParleyError("bad_request", "reaction: must be one emoji or a :name: of 1–32 of a–z, 0–9, _, + and -."));
    const kind = method === "put" ? "reaction.add" : "reaction.remove";
    return c.json(unwrap(await conversation(c.env, id).change(c.get("principal").userId, { kind, seq, reaction })));
  });
}

conversationRoutes.patch("/:id", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { title } = await readJson(c, UpdateConversationRequest);
  return c.json(unwrap(await conversation(c.env, id).setTitle(c.get("principal").userId, title)));
});

conversationRoutes.post("/:id/members", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { usernames } = await readJson(c, AddMembersRequest);
  const { found, missing } = await directory(c.env).lookupMany(usernames);
  if (missing.length > 0) throw new ParleyError("not_found", `No user named ${missing.join(", ")}.`);
  const members = found.map((u): Member => ({ user_id: u.id, username: u.username, role: "member" }));
  return c.json(unwrap(await conversation(c.env, id).addMembers(c.get("principal").userId, members)));
});

conversationRoutes.delete("/:id/members/:user_id", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const target = readParam(c, "user_id", UserId, noSuchMember);
  return c.json(unwrap(await conversation(c.env, id).removeMember(c.get("principal").userId, target)));
});

conversationRoutes.patch("/:id/members/:user_id", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const target = readParam(c, "user_id", UserId, noSuchMember);
  const { role } = await readJson(c, SetRoleRequest);
  return c.json(unwrap(await conversation(c.env, id).setRole(c.get("principal").userId, target, role)));
});

conversationRoutes.post("/:id/read", requireAuth(), async (c) => {
  const id = await conversationIdOf(c);
  const { up_to_seq } = await readJson(c, ReadRequest);
  return c.json(unwrap(await conversation(c.env, id).markRead(c.get("principal").userId, up_to_seq)));
});

conversationRoutes.get("/:id/poll", requireAuth(), perUserLimit("poll"), async (c) => {
  const id = await conversationIdOf(c);
  const { after_seq, after_rev, timeout_ms } = readQuery(c, PollQuery);
  const cursor = after_rev !== undefined ? { after_rev } : { after_seq: after_seq ?? 0 };
  return c.json(unwrap(await conversation(c.env, id).poll(c.get("principal").userId, cursor, timeout_ms ?? 25_000)));
});

conversationRoutes.get("/:id/ws", ...upgradeChecks, async (c) => {
  const id = await conversationIdOf(c);
  return forwardUpgrade(c, conversation(c.env, id));
});
