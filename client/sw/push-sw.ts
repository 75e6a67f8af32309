/**
 * Parley's web push service worker (docs/integrations.md, "Web push").
 * Built on its own by `node client/sw/build.mjs` into `client/dist/push-sw.js`
 * and served from the site's root, so that its scope covers the whole app.
 *
 * A push carries a small JSON payload (docs/protocol.md §22.16):
 * `{kind, title, body, conversation_id, seq, url}`, already decrypted by the
 * browser. The worker shows it as a notification, one per conversation (a
 * newer one replaces the older: `tag`), and a click focuses an open tab of
 * the app — navigating it to the conversation — or opens one.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;

interface PushPayload {
  kind: "mention" | "reply" | "direct";
  title: string;
  body: string;
  conversation_id: string;
  seq: number;
  url: string;
}

function read(event: PushEvent): PushPayload | undefined {
  try {
    const data = event.data?.json() as Partial<PushPayload> | undefined;
    if (!data || typeof data.title !== "string" || typeof data.conversation_id !== "string") return undefined;
    return {
      kind: data.kind ?? "direct",
      title: data.title,
      body: typeof data.body === "string" ? data.body : "",
      conversation_id: data.conversation_id,
      seq: typeof data.seq === "number" ? data.seq : 0,
      // Only a path of this site is followed, whatever the payload says.
      url: typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//") ? data.url : "/",
    };
  } catch {
    return undefined;
  }
}

sw.addEventListener("install", () => {
  void sw.skipWaiting();
});

sw.addEventListener("activate", (event) => {
  event.waitUntil(sw.clients.claim());
});

sw.addEventListener("push", (event) => {
  const payload = read(event);
  if (!payload) return;
  event.waitUntil(
    sw.registration.showNotification(payload.title, {
      body: payload.body,
      tag: `parley:${payload.conversation_id}`,
      data: { url: payload.url, conversation_id: payload.conversation_id, seq: payload.seq },
    }),
  );
});

sw.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL((event.notification.data as { url?: string } | undefined)?.url ?? "/", sw.location.origin).href;
  event.waitUntil((async () => {
    const windows = await sw.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin !== sw.location.origin) continue;
      await client.focus();
      if ("navigate" in client) await (client as WindowClient).navigate(url);
      return;
    }
    await sw.clients.openWindow(url);
  })());
});
