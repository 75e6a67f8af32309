import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ParleyError } from "../src/protocol/index.ts";
import { randomId } from "../src/shared/ids.ts";
import { configOf } from "../src/shared/config.ts";
import { createLogger } from "../src/shared/log.ts";
import { errorResponse } from "./http.ts";
import { accountRoutes } from "./routes/account.ts";
import { authRoutes } from "./routes/auth.ts";
import { conversationRoutes } from "./routes/conversations.ts";
import { searchRoutes } from "./routes/search.ts";
import { topicRoutes } from "./routes/topics.ts";
import { userRoutes } from "./routes/users.ts";
import { authRateLimit, safetyRoutes } from "./routes/safety.ts";
import type { AppEnv } from "./types.ts";
import { adminRoutes } from "./routes/admin.ts";
import { integrationRoutes } from "./routes/integrations.ts";

/** Routes hit once per message or per topic event: their successful requests log at debug. */
const HOT_ROUTES = /^\/v1\/(conversations\/[^/]+\/(messages|read|poll)|topics\/[^/]+\/events)$/;

/** Largest REST body accepted. */
const MAX_REST_BODY_BYTES = 64 * 1024;

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
  // Per-message routes (a REST send, a read, a long-poll answer) log at
  // debug when they succeed: one line per message is the cost LOG_LEVEL
  // exists to avoid. So does an accepted socket upgrade (101): the actor logs
  // `socket.connected` with the same request id. Everything else, and every
  // failure, stays at info.
  const level = c.res.status === 101 || (c.res.status < 400 && HOT_ROUTES.test(c.req.path)) ? "debug" : "info";
  createLogger(configOf(c.env).logLevel)(level, "http.request", {
    request_id: requestId, method: c.req.method, path: c.req.path, status: c.res.status, ms: Date.now() - started,
  });
});

const limitBody = bodyLimit({
  maxSize: MAX_REST_BODY_BYTES,
  onError: () => {
    throw new ParleyError("payload_too_large", `A request body may be at most ${MAX_REST_BODY_BYTES} bytes.`);
  },
});
// GET and HEAD carry no body to limit (socket upgrades among them): they
// skip the check; an upload has its own limit (MAX_ATTACHMENT_BYTES).
const UPLOAD = /^\/v1\/conversations\/[^/]+\/attachments$/;
app.use("/v1/*", (c, next) =>
  c.req.method === "GET" || c.req.method === "HEAD" || (c.req.method === "POST" && UPLOAD.test(c.req.path)) ? next() : limitBody(c, next));

app.onError((e, c) => errorResponse(c, e));
app.notFound((c) => errorResponse(c, new ParleyError("not_found", `No route for ${c.req.method} ${c.req.path}.`)));

const health = { ok: true, protocol: 1 } as const;
app.get("/healthz", (c) => c.json(health));
app.get("/v1/healthz", (c) => c.json(health));

app.use("/v1/auth/*", authRateLimit);
app.route("/v1/auth", authRoutes);
app.route("/v1/conversations", conversationRoutes);
app.route("/v1", userRoutes);
app.route("/v1", safetyRoutes);
app.route("/v1", searchRoutes);
app.route("/v1", accountRoutes);
app.route("/v1/topics", topicRoutes);
app.route("/v1", integrationRoutes);
app.route("/v1", adminRoutes);
