/**
 * Rules of user search that need no storage: how names are normalised for
 * matching, which words of a display name are searchable, and the opaque
 * cursor of a page. The Directory actor wires them to SQLite.
 *
 * Ranking (lowest first): 0 the exact username; 1 usernames that start with
 * the query, shorter first, then alphabetical; 2 display names with a word
 * (or the whole name) that starts with the query, alphabetical by name. A
 * user appears once, at their best rank. The sort key of a result is the
 * tuple (rank, length, text, id); a cursor is the key of the last result of
 * a page, and the next page starts strictly after it (keyset paging, so
 * users added or renamed between pages never cause repeats).
 */
import { ParleyError } from "../protocol/index.ts";

/** Lower case, without accents and without the marks Unicode can split off ("José" → "jose"). */
export function normalize(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}+/gu, "").toLowerCase().replace(/\s+/gu, " ").trim();
}

/**
 * The searchable keys of a display name: each word, and the whole name (so
 * "ada lov" finds "Ada Lovelace"). Words are split at anything that is not a
 * letter or a digit.
 */
export function nameKeys(displayName: string | undefined): string[] {
  if (!displayName) return [];
  const whole = normalize(displayName);
  if (!whole) return [];
  const words = whole.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
  return [...new Set([whole, ...words])];
}

/**
 * The upper bound of a prefix range in SQLite's binary (UTF-8 memcmp)
 * collation: every string that starts with `prefix` sorts below it.
 */
export function prefixEnd(prefix: string): string {
  return `${prefix}\u{10ffff}`;
}

/** Where a result sorts; a cursor carries the key of the last result of a page. */
export interface SortKey {
  rank: 0 | 1 | 2;
  len: number;
  text: string;
  id: string;
}

/** The key that sorts before every result: the start of the first page. */
export const FIRST: SortKey = { rank: 0, len: -1, text: "", id: "" };

export function encodeCursor(key: SortKey): string {
  const json = JSON.stringify([key.rank, key.len, key.text, key.id]);
  const bytes = new TextEncoder().encode(json);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Reads a cursor back; anything not made by `encodeCursor` is `bad_request`. */
export function decodeCursor(cursor: string): SortKey {
  const invalid = () => new ParleyError("bad_request", "cursor: not a cursor of this search; pass next_cursor from the previous page unchanged.");
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    const binary = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 4) throw invalid();
  const [rank, len, text, id] = value as unknown[];
  if ((rank !== 0 && rank !== 1 && rank !== 2) || !Number.isInteger(len) || typeof text !== "string" || typeof id !== "string") {
    throw invalid();
  }
  return { rank, len: len as number, text, id };
}
