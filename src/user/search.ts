/**
 * Search across a user's conversations (`GET /v1/search`): the fan-out to
 * the most recently active Conversation actors, a few at a time within one
 * time budget, and the merge of their ranked hits.
 */
import type { Env } from "../env.ts";
import { ParleyError, type GlobalSearchResponse, type MessageSearchPage } from "../protocol/index.ts";
import { withTimeout } from "../shared/async.ts";
import { err, ok, type Result } from "../shared/result.ts";
import type { UserStore } from "./store.ts";

/** A search across conversations asks at most this many (the most recently active), so many at a time, within this time. */
export const SEARCH_FANOUT_MAX = 200;
const SEARCH_CONCURRENCY = 10;
const SEARCH_BUDGET_MS = 2000;

/**
 * Searches the user's conversations: the SEARCH_FANOUT_MAX most recently
 * active, CONCURRENCY at a time, within SEARCH_BUDGET_MS in all; the best
 * `limit` matches by rank. `partial` when some conversation was left out,
 * failed or was too slow.
 */
export async function searchConversations(env: Env, store: UserStore, query: string, limit: number): Promise<Result<GlobalSearchResponse>> {
  const userId = store.profile()?.user_id;
  if (!userId) return ok({ results: [], partial: false });
  const first = store.conversationPage(SEARCH_FANOUT_MAX);
  const ids = first.conversations.map((c) => c.id);
  const deadline = Date.now() + SEARCH_BUDGET_MS;
  const results: GlobalSearchResponse["results"] = [];
  let partial = first.next !== undefined;
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const left = deadline - Date.now();
      if (left <= 0) {
        partial = true;
        return;
      }
      try {
        const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
        const page: Result<MessageSearchPage> = await withTimeout(Promise.resolve(stub.search(userId, query, limit, 0)), left);
        if (page.ok) {
          for (const hit of page.value.results) results.push({ ...hit, conversation_id: id });
          if (page.value.partial) partial = true;
        }
        else if (page.error.code === "bad_request") throw new ParleyError("bad_request", page.error.message);
        else partial = true;
      } catch (e) {
        if (e instanceof ParleyError) throw e;
        partial = true;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(SEARCH_CONCURRENCY, ids.length) }, worker));
  } catch (e) {
    return err(e instanceof ParleyError ? e : new ParleyError("internal", "Search failed."));
  }
  results.sort((a, b) => a.rank - b.rank);
  return ok({ results: results.slice(0, limit), partial });
}
