/**
 * Search (protocol v1.1), Parley alone: the floor has no search to compare
 * with.
 *
 * 1. One conversation of BENCH_SEARCH_MESSAGES messages (100 000 by
 *    default), sent by four members over sockets with a window of messages in
 *    flight each; the index (kept by the alarm) is waited for; then
 *    sequential searches of one and two words, `GET …/search`, timed until
 *    the JSON is read.
 * 2. One user in BENCH_SEARCH_CONVERSATIONS groups (200), each with a few
 *    messages; sequential searches across them, `GET /v1/search`, timed, and
 *    how many answers said `partial`.
 *
 * Message bodies are drawn from a fixed vocabulary of pseudo-words with a
 * seeded generator, so every run indexes the same text.
 */
import { type BenchContext, type Outcome, loginAll, range } from "../context.ts";
import { openEndpoint } from "../workloads/shared.ts";
import type { BenchSocket } from "../socket.ts";
import { mapLimit, round, summarize } from "../stats.ts";

/** Messages in flight per sender while filling the conversation. */
const WINDOW = 32;
/** Deadline of one ack while filling (see the fill). */
const FILL_ACK_TIMEOUT_MS = 300_000;
/** Messages per conversation in part 2. */
const PER_CONVERSATION = 10;

export async function search(ctx: BenchContext): Promise<Outcome> {
  const { config, api } = ctx;
  const words = vocabulary(2000);
  const random = seeded(7);
  const sentence = (n: number) => Array.from({ length: n }, () => words[Math.floor(random() * words.length)]!).join(" ");

  // --- 1. a conversation of many messages -------------------------------------------
  const total = config.searchMessages;
  ctx.progress(`search: one conversation of ${total} messages`);
  const members = await loginAll(ctx, range(4).map((i) => `sr_m${i}`));
  const id = await api.group(members[0]!, "bench search", members.slice(1).map((m) => m.username));
  const sockets: BenchSocket[] = await Promise.all(
    members.map((m) => openEndpoint({ url: `${ctx.engine.wsUrl}/v1/conversations/${id}/ws`, token: m.token }, config.opTimeoutMs)),
  );
  const fillStart = performance.now();
  try {
    let next = 0;
    await Promise.all(sockets.map(async (socket, s) => {
      const inFlight = new Set<Promise<unknown>>();
      while (next < total) {
        const n = next++;
        // A long deadline: under a flood, workerd serves one socket's frames
        // ahead of the others', so an ack may wait long; fairness is not what
        // this fill measures.
        const p = socket.send(`s${s}-${n}`, sentence(12), FILL_ACK_TIMEOUT_MS).finally(() => inFlight.delete(p));
        inFlight.add(p);
        if (inFlight.size >= WINDOW) await Promise.race(inFlight);
      }
      await Promise.all(inFlight);
    }));
  } finally {
    for (const s of sockets) s.close();
  }
  const fillS = (performance.now() - fillStart) / 1000;
  ctx.progress(`search: ${total} messages sent in ${fillS.toFixed(1)} s; waiting for the index`);
  const indexStart = performance.now();
  const searchOne = async (q: string) => {
    const res = await fetch(`${ctx.engine.url}/v1/conversations/${id}/search?q=${encodeURIComponent(q)}&limit=20`, {
      headers: { authorization: `Bearer ${members[0]!.token}` },
    });
    if (!res.ok) throw new Error(`search answered ${res.status}`);
    return (await res.json()) as { results: unknown[]; partial?: true };
  };
  for (let i = 0; i < 600; i++) {
    if (!(await searchOne(words[0]!)).partial) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const indexS = (performance.now() - indexStart) / 1000;

  const queries = Array.from({ length: config.searchQueries }, (_, i) => (i % 2 === 0 ? words[Math.floor(random() * 200)]! : `${words[Math.floor(random() * 200)]} ${words[Math.floor(random() * 200)]}`));
  const oneMs: number[] = [];
  let hits = 0;
  for (const q of queries) {
    const t0 = performance.now();
    const page = await searchOne(q);
    oneMs.push(performance.now() - t0);
    hits += page.results.length;
  }

  // --- 2. a user in many conversations ---------------------------------------------
  const n = config.searchConversations;
  ctx.progress(`search: one user in ${n} conversations`);
  const [owner, partner] = await loginAll(ctx, ["sr_owner", "sr_partner"]);
  const groups = await mapLimit(range(n), 8, (k) => api.group(owner!, `bench search ${k}`, [partner!.username]));
  await mapLimit(groups, 8, async (g, k) => {
    for (let i = 0; i < PER_CONVERSATION; i++) await api.send(i % 2 === 0 ? owner! : partner!, g, `g${k}-${i}`, sentence(10));
  });
  // The owner's inbox learns of the groups from their sweeps.
  await new Promise((r) => setTimeout(r, 3000));
  const allMs: number[] = [];
  let partial = 0;
  let found = 0;
  for (const q of queries.slice(0, Math.min(queries.length, 100))) {
    const t0 = performance.now();
    const res = await fetch(`${ctx.engine.url}/v1/search?q=${encodeURIComponent(q)}&limit=20`, { headers: { authorization: `Bearer ${owner!.token}` } });
    const body = (await res.json()) as { results: unknown[]; partial: boolean };
    allMs.push(performance.now() - t0);
    if (body.partial) partial++;
    found += body.results.length;
  }

  const one = summarize(oneMs);
  const all = summarize(allMs);
  return {
    result: {
      design: `${total} messages of 12 words from a 2000-word vocabulary in one conversation (4 senders, ${WINDOW} in flight each), then ${queries.length} sequential searches of one or two words (limit 20); one user in ${n} groups of ${PER_CONVERSATION} messages, then sequential GET /v1/search`,
      messages: total,
      fill_s: round(fillS, 1),
      fill_per_s: round(total / fillS, 0),
      index_wait_s: round(indexS, 1),
      search_ms: one,
      hits_per_search: round(hits / queries.length, 1),
      conversations: n,
      search_all_ms: all,
      search_all_partial: partial,
      hits_per_search_all: round(found / Math.max(1, allMs.length), 1),
    },
    rows: [
      { scenario: "search", measure: `in one conversation of ${total} messages (ms)`, summary: one, note: `${queries.length} searches; filled at ${round(total / fillS, 0)}/s, index caught up ${round(indexS, 1)} s later` },
      { scenario: "search", measure: `across ${n} conversations of one user (ms)`, summary: all, note: `${allMs.length} searches, ${partial} partial` },
    ],
  };
}

/** `count` distinct pronounceable pseudo-words, the same every run. */
function vocabulary(count: number): string[] {
  const random = seeded(42);
  const c = "bcdfghklmnprstvz";
  const v = "aeiou";
  const words = new Set<string>();
  while (words.size < count) {
    let w = "";
    for (let i = 0, len = 2 + Math.floor(random() * 3); i < len; i++) w += c[Math.floor(random() * c.length)]! + v[Math.floor(random() * v.length)]!;
    words.add(w);
  }
  return [...words];
}

/** A small seeded generator (mulberry32): the same sequence every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
