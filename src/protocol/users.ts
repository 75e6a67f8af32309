import { z } from "zod";
import { UserId } from "./frames.ts";
import { queryNumber } from "./query.ts";

/**
 * People and sessions over REST (PROTOCOL §7): `GET /v1/me`, `PATCH /v1/me`,
 * `GET /v1/users/search`, `GET /v1/users/{username}`, `POST /v1/auth/refresh`,
 * `POST /v1/auth/logout`. Since v1.
 */

/** Longest display name, in Unicode code points. */
export const MAX_DISPLAY_NAME_CHARS = 64;
/** Longest avatar URL, in characters. */
export const MAX_AVATAR_URL_CHARS = 2048;
/** Largest page of a user search, and the default. */
export const MAX_SEARCH_LIMIT = 50;
export const DEFAULT_SEARCH_LIMIT = 20;
/** Longest search query, in characters. */
export const MAX_SEARCH_QUERY_CHARS = 64;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Control characters (C0, DEL, C1) would break the layout of every client that shows the name.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** A display name: 1–64 characters once trimmed, no control characters, well-formed Unicode. */
export const DisplayName = z
  .string()
  .trim()
  .refine((s) => s.length > 0, "must not be empty or only white space (send null to clear it)")
  .refine((s) => !CONTROL.test(s), "must not contain control characters")
  .refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode (it has a lone surrogate)")
  .refine((s) => codePoints(s) <= MAX_DISPLAY_NAME_CHARS, `must be at most ${MAX_DISPLAY_NAME_CHARS} characters`);

function isPlainHttpsUrl(s: string): boolean {
  // The URL parser silently drops tabs and newlines; refuse them instead.
  if (/[\s\u0000-\u001f\u007f]/.test(s)) return false;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return url.protocol === "https:" && url.hostname !== "" && url.username === "" && url.password === "";
}

/** An avatar: an https URL of at most 2048 characters, without credentials. */
export const AvatarUrl = z
  .string()
  .max(MAX_AVATAR_URL_CHARS, `must be at most ${MAX_AVATAR_URL_CHARS} characters`)
  .refine(isPlainHttpsUrl, "must be an https:// URL without spaces or credentials");

/** Which notifications a user receives: all, only those addressed to them, or none. */
export const NotificationSetting = z.enum(["all", "mentions", "none"]);
export type NotificationSetting = z.infer<typeof NotificationSetting>;

/** The user's settings, every field present (defaults filled in). */
export const Settings = z.object({ notifications: NotificationSetting });
export type Settings = z.infer<typeof Settings>;
export const DEFAULT_SETTINGS: Settings = { notifications: "all" };

/** A person as others see them. Optional fields are omitted, never null. */
export const UserView = z.object({
  id: UserId,
  username: z.string(),
  display_name: z.string().optional(),
  avatar_url: z.string().optional(),
});
export type UserView = z.infer<typeof UserView>;

/** `GET /v1/me` and `PATCH /v1/me` answer this. */
export const MeResponse = z.object({ user: UserView, settings: Settings });
export type MeResponse = z.infer<typeof MeResponse>;

/**
 * `PATCH /v1/me`. Every field is optional; `null` clears a profile field.
 * Unknown fields are refused (a typo should not look like success).
 */
export const PatchMeRequest = z.strictObject({
  display_name: DisplayName.nullable().optional(),
  avatar_url: AvatarUrl.nullable().optional(),
  settings: z.strictObject({ notifications: NotificationSetting.optional() }).optional(),
});
export type PatchMeRequest = z.infer<typeof PatchMeRequest>;

/** `GET /v1/users/{username}` */
export const UserResponse = z.object({ user: UserView });

/** `GET /v1/users/search?q=&limit=&cursor=` */
export const SearchQuery = z.object({
  q: z
    .string()
    .trim()
    .min(1, "required: the start of a username or of a word of a display name")
    .max(MAX_SEARCH_QUERY_CHARS, `must be at most ${MAX_SEARCH_QUERY_CHARS} characters`),
  limit: queryNumber(z.number().int().min(1).max(MAX_SEARCH_LIMIT)).optional(),
  cursor: z.string().min(1).max(512).optional(),
});
export type SearchQuery = z.infer<typeof SearchQuery>;

/** One page of a search; `next_cursor` is present when there may be more. */
export const SearchResponse = z.object({ users: z.array(UserView), next_cursor: z.string().optional() });
export type SearchResponse = z.infer<typeof SearchResponse>;

/** An opaque refresh token as sent by a client (its format is checked by the server, not the schema). */
const RefreshTokenText = z.string().min(1).max(512);

/** `POST /v1/auth/refresh` — answered with the login shape, with a new `refresh_token`. */
export const RefreshRequest = z.object({ refresh_token: RefreshTokenText });

/** `POST /v1/auth/logout` — the body is optional when an access token is sent. */
export const LogoutRequest = z.object({ refresh_token: RefreshTokenText.optional() });
