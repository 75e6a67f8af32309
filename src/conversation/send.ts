/**
 * The send path: a message from a socket or from REST, from the checks to
 * the broadcast. This is the hot path of the engine; what it costs is
 * measured against a bare Durable Object by `npm run bench`.
 */
import { ParleyError, type Attachment, type Message, type MessageAck, type SendData } from "../protocol/index.ts";
import { notificationId, randomId } from "../shared/ids.ts";
import type { LogFields, Logger } from "../shared/log.ts";
import { takeToken, type Bucket } from "../shared/rules.ts";
import type { Rate } from "../shared/config.ts";
import type { AttachmentStore } from "./attachments.ts";
import { mentionedIds, targetsOf } from "./members.ts";
import { excerpt } from "./messages.ts";
import type { OutboxStore } from "./outbox-store.ts";
import { botTriggers, type BotOutbox } from "../bots/outbox.ts";
import { isBotId } from "../bots/ids.ts";
import type { ConversationHooks } from "../webhooks/hooks.ts";
import type { Room } from "./room.ts";
import { encode, sendText } from "./sockets.ts";
import type { ConversationStore } from "./store.ts";

export interface SendContext {
  store: ConversationStore;
  outbox: OutboxStore;
  attachments: AttachmentStore;
  room: Room;
  sendRate: Rate;
  /** Bots' send budget (BOT_SEND_RATE), used instead of `sendRate` for a bot sender (§22.14). */
  botSendRate: Rate;
  /** Webhook events (§22.15): nothing is written unless an endpoint wants `message.created`. */
  hooks: ConversationHooks;
  /** Calls owed to bots (§22.14): nothing is written unless the message calls a bot member. */
  bots: BotOutbox;
  /** Send-rate buckets per user. In memory: a wake from hibernation refills them. */
  buckets: Map<string, Bucket>;
  log: Logger;
  /** After a commit: the inbox sweep (and, with notifications, bot calls or webhook events, the alarm) is due; long-polls are answered. */
  committed(notified: boolean): void;
}

/**
 * Accepts a message: checks, one transaction, ack, broadcast.
 *
 * Synchronous from the first check to the broadcast, so nothing interleaves
 * and `seq = last_seq + 1` needs no lock. The ack and `message.new` need no
 * extra await to be safe: the output gate holds every frame and RPC reply
 * this handler produced until the transaction is durable, and releases none
 * of them if it fails.
 *
 * What it writes is constant in the size of the room: the message row and,
 * by a trigger in the same statement, the sender's watermarks (sending
 * implies having read up to one's own message, which keeps unread counts
 * without counting rows), plus a row per notification the message causes.
 * Every member's inbox learns the message from the next sweep or pull
 * (fanout.ts), not from a row per member.
 */
export function acceptMessage(cx: SendContext, userId: string, input: SendData, ids: LogFields, ws?: WebSocket, rid?: string): MessageAck {
  const { store } = cx;
  const now = Date.now();
  // A repeat is answered with the first ack whatever the checks below would
  // say now (a block since, an empty bucket): it creates nothing.
  const refuse = (error: ParleyError): MessageAck => {
    const prior = store.findByClientId(userId, input.client_msg_id);
    if (!prior) throw error;
    return repeat(prior);
  };
  const repeat = (prior: Message): MessageAck => {
    const ack = toAck(prior, true);
    if (ws) sendText(ws, encode("message.ack", ack, rid));
    return ack;
  };

  if (store.meta?.kind === "direct" && store.isBlocked(userId)) {
    return refuse(new ParleyError("forbidden", "You cannot write in this conversation."));
  }
  if (input.reply_to_seq !== undefined && input.reply_to_seq > store.lastSeq) {
    return refuse(new ParleyError("bad_request", `data.reply_to_seq: no message ${input.reply_to_seq} in this conversation.`));
  }
  // Last check before the write, so a refused send spends no token.
  const before = cx.buckets.get(userId);
  const rate = isBotId(userId) ? cx.botSendRate : cx.sendRate;
  const taken = takeToken(before, now, rate);
  if (!taken.ok) {
    cx.buckets.set(userId, taken.bucket);
    return refuse(new ParleyError("rate_limited", `At most ${rate.messages} messages per ${rate.per_ms / 1000} s.`, { retryAfterMs: taken.retryAfterMs }));
  }

  const mentions = input.body.includes("@") ? mentionedIds(input.body, [...store.members()]) : [];
  let files: Attachment[] = [];
  if (input.attachments) {
    try {
      files = cx.attachments.claimable(input.attachments, userId);
    } catch (e) {
      return refuse(e as ParleyError);
    }
  }
  const message = store.messages.next({
    server_msg_id: randomId("m_", 20),
    client_msg_id: input.client_msg_id,
    sender_id: userId,
    body: input.body,
    created_at: now,
    reply_to_seq: input.reply_to_seq,
    ...(mentions.length > 0 ? { mentions } : {}),
    ...(files.length > 0 ? { attachments: files } : {}),
  });
  if (message.reply_to_seq !== undefined) {
    const replied = store.messages.at(message.reply_to_seq);
    if (replied) message.reply_to = { seq: replied.seq, sender_id: replied.sender_id, excerpt: excerpt(replied.body), ...(replied.deleted_at !== undefined ? { deleted: true } : {}) };
  }
  const notifications = notificationsOf(store, message);
  // Both checks are in memory; a room without bots and a deployment without webhooks write nothing for them.
  const bots = botTriggers(store, message);
  const hooked = cx.hooks.wants("message.created").length > 0;
  const sender = store.member(userId)!;
  const delivered = Math.max(sender.delivered_seq, message.seq);
  // The INSERT also moves the sender's watermarks (a trigger, schema.ts):
  // one statement, atomic by itself. Only a message that notifies someone,
  // calls a bot or is owed to a webhook writes more, and then everything
  // runs in one transaction.
  const inserted = notifications.length === 0 && files.length === 0 && bots.length === 0 && !hooked
    ? store.messages.insert(message)
    : store.transaction(() => {
      if (!store.messages.insert(message)) return false;
      for (const n of notifications) cx.outbox.enqueueNotification(n);
      cx.attachments.attach(files.map((f) => f.id), message.seq);
      if (bots.length > 0) cx.bots.enqueue(bots.map((b) => b.botId), message.seq);
      if (hooked) cx.hooks.record("message.created", message.conversation_id, { message });
      return true;
    });
  if (!inserted) {
    // A repeat raced past nothing (the actor is single-threaded): the
    // unique index found it. Its token is given back.
    if (before) cx.buckets.set(userId, before);
    else cx.buckets.delete(userId);
    return repeat(store.findByClientId(userId, input.client_msg_id)!);
  }
  cx.buckets.set(userId, taken.bucket);
  store.messages.appended(message);
  store.receiptsWritten(userId, message.seq, delivered);

  const ack = toAck(message, false);
  if (ws) sendText(ws, encode("message.ack", ack, rid));
  cx.room.broadcastLive(encode("message.new", { message }));
  cx.committed(notifications.length > 0 || bots.length > 0 || hooked);
  if (cx.log.enabled("debug")) cx.log("debug", "message.accepted", { ...ids, user_id: userId, seq: message.seq });
  return ack;
}

/**
 * Who the message notifies (mentions, the author it replies to), from what
 * the message already carries: its `mentions` and its `reply_to`, each found
 * once above. Most messages have neither, and then cost nothing here.
 */
function notificationsOf(store: ConversationStore, message: Message) {
  const mentions = message.mentions ?? [];
  const replied = message.reply_to?.sender_id;
  if (mentions.length === 0 && replied === undefined) return [];
  const direct = store.meta?.kind === "direct";
  return targetsOf(mentions, message.sender_id, replied, (id) => store.member(id) !== undefined)
    // Bots are called (bots/outbox.ts), not notified.
    .filter((t) => !(direct && store.isBlocked(t.user_id)) && !isBotId(t.user_id))
    .map((t) => ({
      id: notificationId(message.conversation_id, message.seq, t.kind),
      user_id: t.user_id,
      kind: t.kind,
      seq: message.seq,
      created_at: message.created_at,
      caused_by: message.sender_id,
    }));
}

export function toAck(message: Message, duplicate: boolean): MessageAck {
  return {
    client_msg_id: message.client_msg_id,
    server_msg_id: message.server_msg_id,
    seq: message.seq,
    created_at: message.created_at,
    duplicate,
  };
}
