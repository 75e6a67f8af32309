import type { Env } from "../src/env.ts";
import { ceremonyShard } from "../src/auth/signed.ts";
import { reportShard } from "../src/reports/shards.ts";

/** Stubs of the actors, found by name. The Worker holds no other state. */
export function directory(env: Env) {
  return env.DIRECTORY.get(env.DIRECTORY.idFromName("global"));
}

export function conversation(env: Env, id: string) {
  return env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
}

export function user(env: Env, userId: string) {
  return env.USER.get(env.USER.idFromName(userId));
}

export function limiter(env: Env, key: string) {
  return env.LIMITER.get(env.LIMITER.idFromName(key));
}

/** The Topic actor of a topic name (docs/protocol.md §22.13). */
export function topic(env: Env, name: string) {
  return env.TOPIC.get(env.TOPIC.idFromName(name));
}

/** The Reports shard that keeps this reporter's reports (decision 0016). */
export function reports(env: Env, reporterId: string) {
  return env.REPORTS.get(env.REPORTS.idFromName(reportShard(reporterId)));
}

/** The Ceremonies shard a ceremony id names (verified first: src/auth/signed.ts). */
export function ceremonies(env: Env, shard: number) {
  return env.CEREMONIES.get(env.CEREMONIES.idFromName(ceremonyShard(shard)));
}
