/**
 * Subscribing a browser to Parley's web push (docs/integrations.md). For the
 * web app to call once the user is signed in and has agreed to notifications:
 *
 * ```ts
 * import { enablePush, disablePush } from "../sw/subscribe.ts";
 * const result = await enablePush({ baseUrl: "", getToken });
 * ```
 *
 * It registers `/push-sw.js` (scope `/`), asks the deployment's VAPID key
 * (`GET /v1/push/vapid-key`; 404 when push is off), subscribes with the
 * browser's PushManager, and sends the subscription to
 * `POST /v1/me/push-subscriptions`. Nothing here runs by itself.
 */

export interface PushOptions {
  /** Where Parley answers ("" for the app's own origin). */
  baseUrl: string;
  /** The current access token. */
  getToken: () => Promise<string> | string;
  /** The service worker's URL; default "/push-sw.js". */
  workerUrl?: string;
}

export type PushResult =
  | { status: "subscribed"; endpoint: string }
  | { status: "unsupported" }
  | { status: "denied" }
  | { status: "not_configured" }
  | { status: "failed"; error: string };

function keyBytes(base64url: string): Uint8Array {
  const s = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(s + "=".repeat((4 - (s.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function call(options: PushOptions, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${options.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${await options.getToken()}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Registers the worker and subscribes this browser; asks the user's permission when not yet given. */
export async function enablePush(options: PushOptions): Promise<PushResult> {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) return { status: "unsupported" };
  try {
    const permission = Notification.permission === "default" ? await Notification.requestPermission() : Notification.permission;
    if (permission !== "granted") return { status: "denied" };
    const keyRes = await call(options, "GET", "/v1/push/vapid-key");
    if (keyRes.status === 404) return { status: "not_configured" };
    if (!keyRes.ok) return { status: "failed", error: `vapid-key answered ${keyRes.status}` };
    const { public_key: publicKey } = (await keyRes.json()) as { public_key: string };
    const registration = await navigator.serviceWorker.register(options.workerUrl ?? "/push-sw.js", { scope: "/" });
    await navigator.serviceWorker.ready;
    const subscription =
      (await registration.pushManager.getSubscription()) ??
      (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(publicKey) as BufferSource }));
    const res = await call(options, "POST", "/v1/me/push-subscriptions", subscription.toJSON());
    if (!res.ok) return { status: "failed", error: `push-subscriptions answered ${res.status}` };
    return { status: "subscribed", endpoint: subscription.endpoint };
  } catch (e) {
    return { status: "failed", error: e instanceof Error ? e.message : String(e) };
  }
}

/** Unsubscribes this browser and tells Parley to forget the subscription. */
export async function disablePush(options: PushOptions): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return;
  await call(options, "DELETE", `/v1/me/push-subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`);
  await subscription.unsubscribe();
}
