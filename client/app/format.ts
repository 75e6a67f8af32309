/** Pure helpers for what the app shows: times, days, sizes, mentions. Each has a unit test (format.test.ts). */

const DAY_MS = 86_400_000;

/** The local calendar day of a time, as a number that grows by one per day (DST-safe). */
export function dayKey(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getFullYear(), d.getMonth(), d.getDate()) / DAY_MS;
}

/** The label of a date separator: "Today", "Yesterday", a weekday within a week, else the date. */
export function dayLabel(ms: number, now: number, locale?: string): string {
  const diff = dayKey(now) - dayKey(ms);
  if (diff === 0) return "Today";
  if (diff === 1) return "Yesterday";
  const d = new Date(ms);
  if (diff > 1 && diff < 7) return d.toLocaleDateString(locale, { weekday: "long" });
  const sameYear = d.getFullYear() === new Date(now).getFullYear();
  return d.toLocaleDateString(locale, { day: "numeric", month: "long", ...(sameYear ? {} : { year: "numeric" }) });
}

/** Indexes of the messages that start a new day (the first always does). */
export function dayStarts(times: number[]): Set<number> {
  const starts = new Set<number>();
  let previous: number | undefined;
  times.forEach((t, i) => {
    const key = dayKey(t);
    if (key !== previous) starts.add(i);
    previous = key;
  });
  return starts;
}

export function shortTime(ms: number, locale?: string): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

export function longTime(ms: number, locale?: string): string {
  return new Date(ms).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short" });
}

/** Time in the conversation list: the time today, the weekday this week, else the date. */
export function listTime(ms: number, now: number, locale?: string): string {
  const diff = dayKey(now) - dayKey(ms);
  if (diff === 0) return shortTime(ms, locale);
  if (diff > 0 && diff < 7) return new Date(ms).toLocaleDateString(locale, { weekday: "short" });
  return new Date(ms).toLocaleDateString(locale, { day: "numeric", month: "short" });
}

/** "last seen 5 minutes ago" and the like. */
export function lastSeen(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return "last seen just now";
  const m = Math.round(s / 60);
  if (m < 60) return `last seen ${m} minute${m === 1 ? "" : "s"} ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `last seen ${h} hour${h === 1 ? "" : "s"} ago`;
  const d = Math.round(h / 24);
  return `last seen ${d} day${d === 1 ? "" : "s"} ago`;
}

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The mention being typed at the caret: `@` at the start or after a character
 * that cannot be part of a name (the engine's rule, docs/protocol.md §17.2),
 * then up to 32 name characters. Returns where the `@` is and the query.
 */
export function mentionAt(text: string, caret: number): { start: number; query: string } | undefined {
  const before = text.slice(0, caret);
  const m = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{0,32})$/.exec(before);
  if (!m) return undefined;
  const query = m[2] ?? "";
  return { start: caret - query.length - 1, query };
}

/** Replaces the mention being typed with `@username ` and says where the caret goes. */
export function insertMention(text: string, start: number, caret: number, username: string): { text: string; caret: number } {
  const inserted = `@${username} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}

/** Splits a body into plain text and @mentions of known usernames, for highlighting (as text, never markup). */
export function mentionParts(body: string, usernames: string[]): Array<{ text: string; mention: boolean }> {
  if (usernames.length === 0) return [{ text: body, mention: false }];
  const known = new Set(usernames.map((u) => u.toLowerCase()));
  const parts: Array<{ text: string; mention: boolean }> = [];
  const re = /(^|[^A-Za-z0-9_@])@([A-Za-z0-9_]{3,32})(?![A-Za-z0-9_])/g;
  let last = 0;
  for (let m = re.exec(body); m; m = re.exec(body)) {
    const at = m.index + (m[1] ?? "").length;
    if (!known.has((m[2] ?? "").toLowerCase())) continue;
    if (at > last) parts.push({ text: body.slice(last, at), mention: false });
    parts.push({ text: body.slice(at, at + 1 + (m[2] ?? "").length), mention: true });
    last = at + 1 + (m[2] ?? "").length;
  }
  if (last < body.length) parts.push({ text: body.slice(last), mention: false });
  return parts;
}

/** Initials for an avatar: the first letters of up to two words. */
export function initials(name: string): string {
  const words = name.trim().split(/[\s_]+/).filter(Boolean);
  const chars = words.slice(0, 2).map((w) => [...w][0] ?? "");
  return (chars.join("") || "?").toUpperCase();
}

/** A stable hue for a person's avatar. */
export function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}
