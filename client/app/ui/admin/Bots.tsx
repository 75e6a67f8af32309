/** The operator's bots: create one (its token shown once), make a new token, revoke it. */
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import { useEffect } from "preact/hooks";
import * as api from "../../api/integrations.ts";
import { longTime } from "../../format.ts";
import { askConfirm } from "../../ui-state.ts";
import { BotBadge } from "../BotBadge.tsx";
import { attempt, ErrorLine, Secret } from "./shared.tsx";

export function Bots() {
  const list = useSignal<api.BotSummary[] | undefined>(undefined);
  const username = useSignal("");
  const displayName = useSignal("");
  const webhookUrl = useSignal("");
  const secrets = useSignal<{ who: string; token: string; webhookSecret?: string } | undefined>(undefined);
  const error = useSignal("");
  const load = () => attempt(error, async () => (list.value = (await api.bots()).bots));
  useEffect(() => void load(), []);
  const create = async (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    await attempt(error, async () => {
      const r = await api.createBot({
        username: username.value.trim(),
        ...(displayName.value.trim() ? { display_name: displayName.value.trim() } : {}),
        ...(webhookUrl.value.trim() ? { webhook_url: webhookUrl.value.trim() } : {}),
      });
      secrets.value = { who: r.bot.user.username, token: r.token, webhookSecret: r.webhook_secret };
      username.value = displayName.value = webhookUrl.value = "";
      await load();
    });
  };
  const rotate = (b: api.BotSummary) =>
    askConfirm({
      title: `New token for ${b.username}?`,
      text: "The old token stops working at once.",
      confirm: "Make a new token",
      onConfirm: () => void attempt(error, async () => (secrets.value = { who: b.username, token: (await api.rotateBotToken(b.user_id)).token })),
    });
  const revoke = (b: api.BotSummary) =>
    askConfirm({
      title: `Revoke ${b.username}'s token?`,
      text: "The bot can no longer call the API until you make it a new token.",
      confirm: "Revoke",
      danger: true,
      onConfirm: async () => {
        if (await attempt(error, () => api.revokeBotToken(b.user_id))) secrets.value = undefined;
      },
    });
  return (
    <section class="admin-section" aria-labelledby="bots-title" data-testid="admin-bots">
      <h3 id="bots-title">Bots</h3>
      <form class="admin-form" onSubmit={(e) => void create(e)}>
        <label for="bot-username">
          Username
          <input id="bot-username" required minLength={3} maxLength={32} value={username.value} onInput={(e) => (username.value = e.currentTarget.value)} />
        </label>
        <label for="bot-display-name">
          Display name (optional)
          <input id="bot-display-name" maxLength={64} value={displayName.value} onInput={(e) => (displayName.value = e.currentTarget.value)} />
        </label>
        <label for="bot-webhook">
          Webhook URL (optional)
          <input id="bot-webhook" type="url" maxLength={2000} value={webhookUrl.value} onInput={(e) => (webhookUrl.value = e.currentTarget.value)} />
        </label>
        <button type="submit" class="primary" data-testid="bot-create">
          Create bot
        </button>
      </form>
      {secrets.value && (
        <div class="secrets" data-testid="bot-secrets">
          <p>
            For <strong>{secrets.value.who}</strong>:
          </p>
          <Secret label="Bot token" value={secrets.value.token} testId="bot-token" />
          {secrets.value.webhookSecret && <Secret label="Webhook signing secret" value={secrets.value.webhookSecret} testId="bot-webhook-secret" />}
        </div>
      )}
      {list.value?.length === 0 && <p class="muted">No bots yet.</p>}
      {list.value && list.value.length > 0 && (
        <ul class="admin-list" data-testid="bot-list">
          {list.value.map((b) => (
            <li key={b.user_id} class="admin-item row" data-testid="bot-item" data-user-id={b.user_id}>
              <span class="grow">
                <strong>{b.username}</strong> <BotBadge bot /> <span class="muted small">created {longTime(b.created_at)}</span>
              </span>
              <button type="button" class="small" onClick={() => rotate(b)}>
                New token
              </button>
              <button type="button" class="small danger" onClick={() => revoke(b)}>
                Revoke token
              </button>
            </li>
          ))}
        </ul>
      )}
      <ErrorLine error={error} testId="bots-error" />
    </section>
  );
}
