/**
 * A bot's own User actor keeps its credentials (§22.14): the SHA-256 of its
 * token (none once revoked), its webhook URL and the secret that signs
 * calls to it. `callBot` posts a message to the webhook and reads the answer.
 */
import { BotReply, MAX_BOT_REPLY_CHARS, ParleyError } from "../protocol/index.ts";
import { describeError } from "../shared/log.ts";
import { err, ok, type Result } from "../shared/result.ts";
import { SIGNATURE_HEADER, signatureHeader } from "../webhooks/signature.ts";
import { newBotToken, newSigningSecret, sha256Hex } from "./ids.ts";
import type { BotCall } from "./outbox.ts";

/** A bot's webhook that has not answered by then has failed this call (it is retried). */
export const BOT_TIMEOUT_MS = 7_000;
/** Most bytes of a webhook's answer that are read. */
const MAX_ANSWER_BYTES = 32 * 1024;

interface BotRow {
  webhook_url: string | null;
  secret: string;
  token_hash: string | null;
  created_at: number;
  [key: string]: SqlStorageValue;
}

export class BotStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  get(): BotRow | undefined {
    return this.#sql.exec<BotRow>("SELECT webhook_url, secret, token_hash, created_at FROM bot").toArray()[0];
  }

  /** Makes this actor's user a bot: returns its first token and webhook secret (shown once). */
  async setup(botId: string, webhookUrl: string | undefined): Promise<{ token: string; webhook_secret: string }> {
    const token = newBotToken(botId);
    const secret = newSigningSecret();
    const hash = await sha256Hex(token);
    this.#sql.exec(
      "INSERT INTO bot (id, webhook_url, secret, token_hash, created_at) VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET webhook_url = excluded.webhook_url, secret = excluded.secret, token_hash = excluded.token_hash",
      webhookUrl ?? null, secret, hash, Date.now(),
    );
    return { token, webhook_secret: secret };
  }

  /** A new token (the old one stops working at once); `null` revokes without a new one. */
  async rotate(botId: string, revoke: boolean): Promise<string | undefined> {
    if (!this.get()) throw new ParleyError("not_found", "No such bot.");
    const token = revoke ? undefined : newBotToken(botId);
    this.#sql.exec("UPDATE bot SET token_hash = ?", token ? await sha256Hex(token) : null);
    return token;
  }

  setWebhook(url: string | null): void {
    if (!this.get()) throw new ParleyError("not_found", "No such bot.");
    this.#sql.exec("UPDATE bot SET webhook_url = ?", url);
  }

  /** Whether `token` is this bot's current token (compared by hash, in constant time). */
  async verify(token: string): Promise<boolean> {
    const row = this.get();
    if (!row?.token_hash) return false;
    const given = await sha256Hex(token);
    let diff = 0;
    for (let i = 0; i < given.length; i++) diff |= given.charCodeAt(i) ^ row.token_hash.charCodeAt(i);
    return diff === 0 && given.length === row.token_hash.length;
  }

  /**
   * Posts `call` to the webhook, signed, within BOT_TIMEOUT_MS. A 2xx answer
   * may carry a reply: JSON `{body, reply_to?}`, or plain text (the body).
   * Anything else (a status, a timeout) is an `internal` error: retried.
   */
  async call(call: BotCall): Promise<Result<{ reply?: BotReply }>> {
    const row = this.get();
    if (!row) return err(new ParleyError("not_found", "This user is not a bot."));
    if (!row.webhook_url) return ok({});
    const body = JSON.stringify(call);
    let res: Response;
    try {
      res = await fetch(row.webhook_url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "Parley-Bots/1",
          [SIGNATURE_HEADER]: await signatureHeader(row.secret, body),
          "Parley-Event-Id": call.id,
        },
        body,
        redirect: "manual",
        signal: AbortSignal.timeout(BOT_TIMEOUT_MS),
      });
    } catch (e) {
      return err(new ParleyError("internal", `The bot's webhook did not answer: ${describeError(e).slice(0, 200)}`));
    }
    if (!res.ok) {
      await res.body?.cancel();
      return err(new ParleyError("internal", `The bot's webhook answered ${res.status}.`));
    }
    const text = await readCapped(res, MAX_ANSWER_BYTES);
    return ok(parseReply(text, res.headers.get("content-type") ?? ""));
  }
}

/** A webhook's answer as a reply, if it is one (an empty or unusable answer posts nothing). */
export function parseReply(text: string, contentType: string): { reply?: BotReply } {
  if (text.trim() === "") return {};
  if (/^application\/json\b/i.test(contentType)) {
    try {
      const parsed = BotReply.safeParse(JSON.parse(text));
      return parsed.success ? { reply: parsed.data } : {};
    } catch {
      return {};
    }
  }
  const body = text.length > MAX_BOT_REPLY_CHARS ? text.slice(0, MAX_BOT_REPLY_CHARS) : text;
  const parsed = BotReply.safeParse({ body });
  return parsed.success ? { reply: parsed.data } : {};
}

async function readCapped(res: Response, max: number): Promise<string> {
  const reader = res.body?.getReader();
  if (!reader) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size >= max) {
      await reader.cancel();
      break;
    }
  }
  const all = new Uint8Array(Math.min(size, max));
  let at = 0;
  for (const c of chunks) {
    const part = c.subarray(0, Math.max(0, all.length - at));
    all.set(part, at);
    at += part.length;
  }
  return new TextDecoder().decode(all);
}
