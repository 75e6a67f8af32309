/**
 * Full-text search inside one conversation (SQLite FTS5, `porter unicode61`
 * tokenizer), kept off the send path.
 *
 * The index follows the messages by `rev` (decision 0014): everything that
 * changed after `meta.indexed_rev` is (re)indexed — a new message added, an
 * edit replaced, a deletion removed — by the alarm after each burst and
 * before every search, so a search always sees the messages as they are,
 * and a send pays nothing for the index.
 */
import { ParleyError, type Message } from "../protocol/index.ts";
import type { ConversationStore } from "./store.ts";

/** Messages (re)indexed per pass; the alarm makes one pass a run. */
export const INDEX_BATCH = 250;
/** Passes a search makes before it answers (so a search after a large burst answers in bounded time, and says so). */
export const SEARCH_CATCH_UP_PASSES = 40;
/** Words of a query; more are ignored. */
export const MAX_QUERY_TERMS = 8;

/** A part of a snippet: text, and whether it matched the query. */
export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchHit {
  message: Message;
  /** Where the message matched: about a dozen words around the matches. */
  snippet: SnippetPart[];
  /** FTS5's bm25 score: lower is better; comparable between conversations only roughly. */
  rank: number;
}

const OPEN = "\u0002";
const CLOSE = "\u0003";

interface IndexRow {
  seq: number;
  body: string;
  rev: number;
  deleted_at: number | null;
  [key: string]: SqlStorageValue;
}

export class SearchIndex {
  readonly #sql: SqlStorage;
  readonly #store: ConversationStore;

  constructor(sql: SqlStorage, store: ConversationStore) {
    this.#sql = sql;
    this.#store = store;
  }

  /** True when some change has not reached the index yet. */
  get behind(): boolean {
    return this.#indexedRev() < this.#store.messages.lastRev;
  }

  /**
   * Indexes up to `limit` messages changed since the last pass, in `rev`
   * order, in one transaction with the new `indexed_rev`; returns how many.
   */
  catchUp(limit = INDEX_BATCH): number {
    const from = this.#indexedRev();
    const rows = this.#sql
      .exec<IndexRow>("SELECT seq, body, rev, deleted_at FROM messages WHERE rev > ? ORDER BY rev LIMIT ?", from, limit)
      .toArray();
    if (rows.length === 0) return 0;
    this.#store.transaction(() => {
      for (const row of rows) {
        this.#sql.exec("DELETE FROM messages_fts WHERE rowid = ?", row.seq);
        if (row.deleted_at === null && row.body !== "") this.#sql.exec("INSERT INTO messages_fts (rowid, body) VALUES (?, ?)", row.seq, row.body);
      }
      this.#sql.exec("UPDATE meta SET indexed_rev = ? WHERE id = 1", rows.at(-1)!.rev);
    });
    return rows.length;
  }

  /**
   * Ranked matches of `query` (its words, each a prefix, all required),
   * `limit` from `offset`; `more` when another page exists. The index catches
   * up first (at most SEARCH_CATCH_UP_PASSES passes), so the answer reflects
   * every change made before it — or, right after a burst larger than that,
   * says `partial` (the alarm goes on indexing).
   */
  search(query: string, limit: number, offset: number): { hits: SearchHit[]; more: boolean; partial: boolean } {
    const match = toMatchExpression(query);
    for (let pass = 0; pass < SEARCH_CATCH_UP_PASSES && this.catchUp() === INDEX_BATCH; pass++);
    const rows = this.#sql
      .exec<{ seq: number; snippet: string; rank: number }>(
        `SELECT rowid AS seq, snippet(messages_fts, 0, ?, ?, '…', 12) AS snippet, bm25(messages_fts) AS rank
         FROM messages_fts WHERE messages_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?`,
        OPEN, CLOSE, match, limit + 1, offset,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const messages = new Map(page.map((r) => [r.seq, this.#store.messages.at(r.seq)]));
    const hits: SearchHit[] = [];
    for (const r of page) {
      const message = messages.get(r.seq);
      if (message) hits.push({ message, snippet: parts(r.snippet), rank: r.rank });
    }
    return { hits, more: rows.length > limit, partial: this.behind };
  }

  #indexedRev(): number {
    return this.#sql.exec<{ r: number }>("SELECT indexed_rev AS r FROM meta WHERE id = 1").toArray()[0]?.r ?? 0;
  }
}

/**
 * The FTS5 expression for what a person typed: its words (letters and
 * digits of any script), each quoted — so no operator, column filter or
 * syntax error can come from the input — as a prefix, all required.
 */
export function toMatchExpression(query: string): string {
  const terms = query.match(/[\p{L}\p{N}]+/gu)?.slice(0, MAX_QUERY_TERMS) ?? [];
  if (terms.length === 0) throw new ParleyError("bad_request", "q: give at least one word to search for.");
  return terms.map((t) => `"${t}"*`).join(" ");
}

/** Splits a snippet marked with OPEN/CLOSE into parts. */
export function parts(snippet: string): SnippetPart[] {
  const out: SnippetPart[] = [];
  let match = false;
  for (const piece of snippet.split(new RegExp(`([${OPEN}${CLOSE}])`))) {
    if (piece === OPEN) match = true;
    else if (piece === CLOSE) match = false;
    else if (piece !== "") out.push({ text: piece, match });
  }
  return out;
}
