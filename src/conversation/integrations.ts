/**
 * A conversation's integration glue (§22.14–§22.18): its webhook hooks
 * (events recorded for the endpoints and forwarded to their dispatchers),
 * its bot outbox (calls owed to bots, their replies posted through the send
 * path), its invite links' storage, and the alarm's integration pass, which
 * also flushes the operators' counters.
 */
import type { Env } from "../env.ts";
import { flushCounters } from "../admin/metrics.ts";
import { BotOutbox } from "../bots/outbox.ts";
import { InviteStore } from "../invites/store.ts";
import type { Counters } from "../shared/counters.ts";
import type { Logger } from "../shared/log.ts";
import { ConversationHooks } from "../webhooks/hooks.ts";
import type { OutboxStore } from "./outbox-store.ts";
import type { Room } from "./room.ts";
import { acceptMessage, type SendContext } from "./send.ts";
import type { ConversationStore } from "./store.ts";

/** What the integrations work with. */
export interface IntegrationContext {
  sql: SqlStorage;
  env: Env;
  store: ConversationStore;
  outbox: OutboxStore;
  room: Room;
  log: Logger;
  counters: Counters;
  /** The send path's context (built after this, so read when a bot reply is posted). */
  send: () => SendContext;
}

export class ConversationIntegrations {
  readonly hooks: ConversationHooks;
  readonly bots: BotOutbox;
  readonly invites: InviteStore;
  readonly #c: IntegrationContext;

  constructor(c: IntegrationContext) {
    this.#c = c;
    const { env, store } = c;
    this.hooks = new ConversationHooks(c.sql, {
      fetchTargets: () => env.INTEGRATIONS.get(env.INTEGRATIONS.idFromName("global")).targets(),
      forward: (endpointId, conversationId, events) => env.WEBHOOK.get(env.WEBHOOK.idFromName(endpointId)).enqueue(endpointId, conversationId, events),
      exists: () => store.meta !== undefined,
      transaction: (body) => store.transaction(body),
      log: c.log,
      counters: c.counters,
    });
    if (store.meta) this.hooks.load();
    this.bots = new BotOutbox(c.sql, store, {
      call: (botId, call) => env.USER.get(env.USER.idFromName(botId)).callBot(call),
      post: (botId, reply, key) => acceptMessage(c.send(), botId, { client_msg_id: key, body: reply.body, ...(reply.reply_to !== undefined && reply.reply_to <= store.lastSeq ? { reply_to_seq: reply.reply_to } : {}) }, { bot_id: botId }),
      transaction: (body) => store.transaction(body),
      log: c.log,
      counters: c.counters,
    });
    this.invites = new InviteStore(c.sql);
  }

  /**
   * The alarm's integration work: the webhook targets when stale, events to
   * the endpoints' dispatchers, calls to bots; then the operators' counters
   * (backlogs read here, not counted on the send path) when a flush is due.
   * Returns when it is due again.
   */
  async run(now: number): Promise<number | undefined> {
    const { env, store, outbox, room, counters } = this.#c;
    if (this.hooks.stale) await this.hooks.refresh();
    await this.hooks.forward(store.meta!.conversationId, now);
    await this.bots.deliver(now);
    const hooks = this.hooks.nextAt();
    const bots = this.bots.nextAt();
    if (counters.dirty || hooks !== undefined || bots !== undefined) {
      counters.gauge("sockets.open", room.size);
      counters.gauge("outbox.inbox_backlog", outbox.all().length);
      counters.gauge("outbox.bot_backlog", this.bots.backlog());
      counters.gauge("outbox.webhook_backlog", this.hooks.backlog());
    }
    await flushCounters(env, counters, `Conversation:${store.meta!.conversationId}`, "conversation");
    return [hooks, bots, counters.dueAt()].filter((t): t is number => t !== undefined).reduce<number | undefined>((a, t) => (a === undefined ? t : Math.min(a, t)), undefined);
  }
}
