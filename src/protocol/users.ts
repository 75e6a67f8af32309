import { z } from "zod";
import { PresenceStatus, UserId } from "./frames.ts";
import { displayText } from "./text.ts";
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

/**
 * A display name: 1–64 characters once trimmed, no control or bidirectional
 * formatting characters, not only invisible ones, well-formed Unicode
 * (the rules of every name people see, text.ts).
 */
export const DisplayName = displayText(MAX_DISPLAY_NAME_CHARS, "must not be empty or only white space (send null to clear it)");

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

/**
 * Who may add the user to a group (since v1.1): everyone (the default), or
 * only their contacts, the people they share a direct conversation with.
 * People blocked either way never may (docs/protocol.md §18.1).
 */
export const GroupAddsSetting = z.enum(["everyone", "contacts"]);
export type GroupAddsSetting = z.infer<typeof GroupAddsSetting>;

/**
 * The user's settings, every field present (defaults filled in). Since v1.1
 * (docs/protocol.md §22.12) three privacy settings, enforced by the server,
 * all `true` by default: `share_presence` (others see the user's status and
 * last seen), `share_read_receipts` (others see how far the user has read;
 * off, the user does not see others' either), `share_typing` (others see
 * the user typing).
 */
export const Settings = z.object({
  notifications: NotificationSetting,
  group_adds: GroupAddsSetting,
  share_presence: z.boolean(),
  share_read_receipts: z.boolean(),
  share_typing: z.boolean(),
});
export type Settings = z.infer<typeof Settings>;
export const DEFAULT_SETTINGS: Settings = {
  notifications: "all", group_adds: "everyone", share_presence: true, share_read_receipts: true, share_typing: true,
};

/**
 * A person as others see them. Optional fields are omitted, never null.
 * Since v1.1 `presence` and `last_seen_at` (when offline) are present for
 * the user themselves and for their contacts who share their presence
 * (docs/protocol.md §22.12).
 */
export const UserView = z.object({
  id: UserId,
  username: z.string(),
  display_name: z.string().optional(),
  avatar_url: z.string().optional(),
  presence: PresenceStatus.optional(),
  last_seen_at: z.number().int().optional(),
  /** Since v1.1: present (true) on a bot account (§22.14). */
  bot: z.literal(true).optional(),
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
  settings: z
    .strictObject({
      notifications: NotificationSetting.optional(),
      group_adds: GroupAddsSetting.optional(),
      share_presence: z.boolean().optional(),
      share_read_receipts: z.boolean().optional(),
      share_typing: z.boolean().optional(),
    })
    .optional(),
});
export type PatchMeRequest = z.infer<typeof PatchMeRequest>;

/** `PUT /v1/me/presence {status}` (since v1.1): as the inbox socket's `presence.set`; answered `{status}`. */
export const SetPresenceRequest = z.strictObject({ status: z.enum(["online", "away", "busy"]) });
export const SetPresenceResponse = z.object({ status: z.enum(["online", "away", "busy"]) });

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
