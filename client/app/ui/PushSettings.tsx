/**
 * Settings → "Notifications on this device": web push (docs/protocol.md
 * §22.16). Turning it on asks the browser's permission, registers the push
 * service worker (`/push-sw.js`, built by client/sw/build.mjs with the app),
 * subscribes with the deployment's VAPID key and hands the subscription to
 * the engine — the subscribe helper of client/sw/subscribe.ts does each
 * step. Hidden behind an explanation when the browser has no push or the
 * server has no VAPID key.
 */
import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { disablePush, enablePush } from "../../sw/subscribe.ts";
import { currentToken, isNotFound } from "../api/http.ts";
import * as api from "../api/integrations.ts";
import { errorText } from "../chat.ts";

type State = "checking" | "unsupported" | "not_configured" | "off" | "on" | "denied";

const OPTIONS = { baseUrl: "", getToken: () => currentToken() ?? "" };

function supported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

async function currentSubscription(): Promise<PushSubscription | null | undefined> {
  const registration = await navigator.serviceWorker.getRegistration("/");
  return registration?.pushManager.getSubscription();
}

export function PushSettings() {
  const state = useSignal<State>("checking");
  const busy = useSignal(false);
  const error = useSignal("");
  useEffect(() => {
    if (!supported()) {
      state.value = "unsupported";
      return;
    }
    void (async () => {
      try {
        await api.vapidKey();
      } catch (err) {
        state.value = isNotFound(err) ? "not_configured" : "off";
        if (!isNotFound(err)) error.value = errorText(err);
        return;
      }
      if (Notification.permission === "denied") {
        state.value = "denied";
        return;
      }
      state.value = (await currentSubscription().catch(() => undefined)) ? "on" : "off";
    })();
  }, []);

  const enable = async () => {
    busy.value = true;
    error.value = "";
    const result = await enablePush(OPTIONS);
    busy.value = false;
    switch (result.status) {
      case "subscribed":
        state.value = "on";
        break;
      case "denied":
        state.value = "denied";
        break;
      case "unsupported":
      case "not_configured":
        state.value = result.status;
        break;
      case "failed":
        error.value = `This browser could not subscribe to push notifications (${result.error}).`;
        break;
    }
  };
  const disable = async () => {
    busy.value = true;
    error.value = "";
    try {
      await disablePush(OPTIONS);
      state.value = "off";
    } catch (err) {
      error.value = errorText(err);
    } finally {
      busy.value = false;
    }
  };

  const s = state.value;
  return (
    <section class="settings-section" aria-labelledby="push" data-testid="settings-push" data-state={s}>
      <h3 id="push">Notifications on this device</h3>
      {s === "checking" && <p class="muted">Checking…</p>}
      {s === "unsupported" && <p class="muted">This browser cannot receive push notifications.</p>}
      {s === "not_configured" && <p class="muted">This server does not send push notifications (no VAPID key is set up).</p>}
      {s === "denied" && <p class="muted">Notifications are blocked for this site in the browser's settings; allow them there to turn this on.</p>}
      {(s === "off" || s === "on") && (
        <div class="setting-row">
          <span>
            {s === "on"
              ? "On: mentions, replies and direct messages reach this device when Parley is not open."
              : "Get mentions, replies and direct messages on this device when Parley is not open."}
          </span>
          <button type="button" data-testid="push-toggle" aria-pressed={s === "on"} disabled={busy.value} onClick={() => void (s === "on" ? disable() : enable())}>
            {busy.value ? "Working…" : s === "on" ? "Turn off" : "Turn on"}
          </button>
        </div>
      )}
      <p class="error" role="alert" data-testid="push-error">
        {error.value}
      </p>
    </section>
  );
}
