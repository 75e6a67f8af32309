/**
 * REST answers that had no schema of their own (the Worker builds them
 * inline): named here so that the SDK checks and types them like every
 * other answer (docs/protocol.md §15, §22.9, §22.11). Shapes only; no route
 * changes with them.
 */
import { z } from "zod";
import { ConversationView, Member } from "./frames.ts";
import { NotificationId } from "./inbox-frames.ts";

/** `POST …/members`: the conversation after the add, and who was actually added (§15.12). */
export const AddMembersResponse = z.object({ conversation: ConversationView, added: z.array(Member) });
export type AddMembersResponse = z.infer<typeof AddMembersResponse>;

/** `POST` / `DELETE /v1/blocks/{username}`: the stored spelling and whether the user is now blocked (§15.19). */
export const BlockResponse = z.object({ username: z.string(), blocked: z.boolean() });
export type BlockResponse = z.infer<typeof BlockResponse>;

/** `POST /v1/reports` (§15.20). */
export const ReportResponse = z.object({ report: z.object({ id: z.string(), created_at: z.number() }) });
export type ReportResponse = z.infer<typeof ReportResponse>;

/** `PUT` / `DELETE …/mute` (§22.9). */
export const MuteResponse = z.object({ muted: z.boolean(), muted_until: z.number().optional() });
export type MuteResponse = z.infer<typeof MuteResponse>;

/** `POST /v1/notifications/read`: the ids that were unread until now, and the unread count after (§15.21). */
export const ReadNotificationsResponse = z.object({ ids: z.array(NotificationId), notifications_unread: z.number().int().nonnegative() });
export type ReadNotificationsResponse = z.infer<typeof ReadNotificationsResponse>;
