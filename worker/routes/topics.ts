import { Hono, type MiddlewareHandler } from "hono";
import {
  DEFAULT_TOPIC_PAGE,
  ParleyError,
  TopicConfigRequest,
  TopicEventsQuery,
  TopicName,
  type PublishResponse,
  type TopicEventsPage,
  type TopicView,
} from "../../src/protocol/index.ts";
import { configOf } from "../../src/shared/config.ts";
import { unwrap } from "../../src/shared/result.ts";
import { noSuchTopic } from "../../src/topic/actor.ts";
import { checkApiKey } from "../../src/topic/api-key.ts";
import { topic } from "../actors.ts";
import { bearerToken, requireAuth } from "../auth.ts";
import { readJson, readParam, readQuery } from "../http.ts";
import type { AppEnv } from "../types.ts";
import { forwardUpgrade, upgradeChecks } from "../upgrade.ts";
import { perUserLimit } from "../user-limits.ts";

/**
 * Live topics, mounted at `/v1/topics` (docs/protocol.md §22.13):
 *
 * - the app backend, with the server API key (`Authorization: Bearer
 *   <TOPICS_API_KEY>`): `PUT /{name}` configures a topic, `POST
 *   /{name}/events` publishes one event;
 * - users, with their access token: `GET /{name}/ws` subscribes over a
 *   socket, `GET /{name}/events` catches up without one.
 *
 * A user token is not an API key, and the API key is not a user token: each
 * side's routes refuse the other's credential with 401.
 */
export const topicRoutes = new Hono<AppEnv>();

/** The topic name of the path; a malformed one names no topic (404), as a malformed id does. */
function topicName(c: Parameters<MiddlewareHandler<AppEnv>>[0]): string {
  return readParam(c, "name", TopicName, noSuchTopic);
}

/** Only the holder of TOPICS_API_KEY passes; compared in constant time (src/topic/api-key.ts). */
const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  switch (await checkApiKey(c.env.TOPICS_API_KEY, bearerToken(c, false))) {
    case "ok":
      return next();
    case "disabled":
      throw new ParleyError("unauthorized", "The topics API is off: this deployment has no TOPICS_API_KEY of at least 32 bytes (wrangler secret put TOPICS_API_KEY).");
    case "mismatch":
      throw new ParleyError("unauthorized", "Send the topics API key: Authorization: Bearer <TOPICS_API_KEY>.");
  }
};

topicRoutes.put("/:name", requireApiKey, async (c) => {
  const name = topicName(c);
  const request = await readJson(c, TopicConfigRequest);
  const { topic: view, created } = unwrap(await topic(c.env, name).configure(name, request));
  return c.json({ topic: view satisfies TopicView }, created ? 201 : 200);
});

/**
 * The body is the event's payload: any JSON value, at most
 * TOPIC_MAX_EVENT_BYTES once written compactly (what is stored and sent).
 */
topicRoutes.post("/:name/events", requireApiKey, async (c) => {
  const name = topicName(c);
  let value: unknown;
  try {
    value = JSON.parse(await c.req.text());
  } catch {
    throw new ParleyError("bad_request", "The body must be the event's payload as JSON (Content-Type: application/json).");
  }
  const data = JSON.stringify(value);
  const max = configOf(c.env).topicMaxEventBytes;
  if (new TextEncoder().encode(data).byteLength > max) {
    throw new ParleyError("payload_too_large", `An event's payload may be at most ${max} bytes of JSON (TOPIC_MAX_EVENT_BYTES).`);
  }
  const published: PublishResponse = unwrap(await topic(c.env, name).publish(data));
  return c.json(published, 201);
});

/** Catch-up without a socket; the user's topic budget covers it as it covers subscribing. */
topicRoutes.get("/:name/events", requireAuth(), perUserLimit("topic"), async (c) => {
  const name = topicName(c);
  const { after_seq, limit } = readQuery(c, TopicEventsQuery);
  const page: TopicEventsPage = unwrap(await topic(c.env, name).events(c.get("principal").userId, after_seq, limit ?? DEFAULT_TOPIC_PAGE));
  return c.json(page);
});

topicRoutes.get("/:name/ws", ...upgradeChecks, perUserLimit("topic"), async (c) => {
  const name = topicName(c);
  return forwardUpgrade(c, topic(c.env, name));
});
