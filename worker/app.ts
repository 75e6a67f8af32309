import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { mintAccessToken } from "../src/auth/tokens.ts";
import { FORWARDED } from "../src/conversation/actor.ts";
import {
  ConversationId,
  CreateConversationRequest,
  DevLoginRequest,
  HistoryQuery,
  ParleyError,
  SendMessageRequest,
  type LoginResponse,
  type Member,
} from "../src/protocol/index.ts";
import { directConversationId, randomId } from "../src/shared/ids.ts";
import { log } from "../src/shared/log.ts";
import { unwrap } from "../src/shared/result.ts";
import { originAllowed, requireAuth } from "./auth.ts";
import { errorResponse, readJson, readParam, readQuery } from "./http.ts";
import type { AppEnv } from "./types.ts";

/** Largest REST body accepted. */
const MAX_REST_BODY_BYTES = 64 * 1024;

const noSuchConversation = () => new ParleyError("not_found", "No such conversation.");

/**
 * The Worker: authenticates, validates, routes. Every rule about a
 * conversation lives in its actor; the Worker only finds the actor by name.
 */
export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  const requestId = c.req.header("x-request-id")?.slice(0, 64) || randomId("r_", 12);
  c.set("requestId", requestId);
  const started = Date.now();
  await next();
  // A 101 carries the client end of the socket: it must pass through untouched.
  if (c.res.status !== 101) {
    c.header("X-Request-Id", requestId);
    c.header("Cache-Control", "no-store");
  }
  log("info", "http.request", {
    request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started,
  });
});

app.use(
  "/v1/*",
  bodyLimit({
    maxSize: MAX_REST_BODY_BYTES,
    onError: () => {
      throw new ParleyError("payload_too_large", `A request body may be at most ${MAX_REST_BODY_BYTES} bytes.`);
    },
  }),
);

app.onError((e, c) => errorResponse(c, e));
app.notFound((c) => errorResponse(c, new ParleyError("not_found", `No route for ${c.req.method} ${c.req.path}.`)));

app.get("/healthz", (c) => c.json({ ok: true, protocol: 1 }));

// --- auth -----------------------------------------------------------------

app.post("/v1/auth/dev-login", async (c) => {
  if (c.env.DEV_LOGIN !== "true") throw new ParleyError("not_found", "Dev login is disabled on this deployment.");
  const { username } = await readJson(c, DevLoginRequest);
  const user = await directory(c.env).ensure(username);
  const { token, expiresAt } = await mintAccessToken(c.env.AUTH_SECRET, { userId: user.id, username: user.username, sessionId: randomId("ls_", 16) });
  const body: LoginResponse = { access_token: token, expires_at: expiresAt, user: { id: user.id, username: user.username } };
  return c.json(body);
});

// --- conversations --------------------------------------------------------

app.post("/v1/conversations", requireAuth(), async (c) => {
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

app.get("/v1/conversations/:id", requireAuth(), async (c) => {
  const id = readParam(c, "id", ConversationId, noSuchConversation());
  const view = unwrap(await conversation(c.env, id).describe(c.get("principal").userId));
  return c.json({ conversation: view });
});

app.get("/v1/conversations/:id/messages", requireAuth(), async (c) => {
  const id = readParam(c, "id", ConversationId, noSuchConversation());
  const query = readQuery(c, HistoryQuery);
  return c.json(unwrap(await conversation(c.env, id).history(c.get("principal").userId, query)));
});

app.post("/v1/conversations/:id/messages", requireAuth(), async (c) => {
  const id = readParam(c, "id", ConversationId, noSuchConversation());
  const input = await readJson(c, SendMessageRequest);
  return c.json(unwrap(await conversation(c.env, id).send(c.get("principal").userId, input, c.get("requestId"))));
});

// --- sockets --------------------------------------------------------------

app.get("/v1/conversations/:id/ws", async (c, next) => {
  // Checked before the token so a plain GET learns it needs an upgrade.
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    return c.json(new ParleyError("bad_request", "This endpoint needs a WebSocket upgrade (Upgrade: websocket).").toBody(), 426);
  }
  await next();
}, requireAuth({ allowQueryToken: true }), async (c) => {
  if (!originAllowed(c)) throw new ParleyError("forbidden", "This Origin may not open Parley sockets (ALLOWED_ORIGINS).");
  const id = readParam(c, "id", ConversationId, noSuchConversation());
  const me = c.get("principal");
  // A fresh set of headers: nothing the client sent under x-parley-* survives.
  const headers = new Headers();
  for (const [name, value] of c.req.raw.headers) {
    if (!name.toLowerCase().startsWith("x-parley-")) headers.set(name, value);
  }
  headers.set(FORWARDED.userId, me.userId);
  headers.set(FORWARDED.username, me.username);
  headers.set(FORWARDED.tokenExp, String(me.expiresAt));
  headers.set(FORWARDED.requestId, c.get("requestId"));
  return conversation(c.env, id).fetch(new Request(c.req.url, { method: "GET", headers }));
});

function directory(env: AppEnv["Bindings"]) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}

function conversation(env: AppEnv["Bindings"], id: string) {
  return env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
}
