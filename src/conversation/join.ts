/**
 * What a joining socket is told about the room, and the member list over
 * REST. A small room ships everything inline; a large one ships a bounded
 * part, so that filling a room of n sockets does not cost O(n²) bytes, and
 * the rest is paged with `GET /v1/conversations/{id}/members`.
 */
import { DEFAULT_MEMBER_PAGE, MAX_MEMBER_PAGE, type Member, type MemberEntry, type MemberPage, type Receipt, type ServerData } from "../protocol/index.ts";
import { receiptFor } from "../shared/privacy.ts";
import { LARGE_ROOM_MEMBERS } from "./members.ts";
import type { Room } from "./room.ts";
import type { ConversationStore, MemberRecord } from "./store.ts";

const RANK: Record<Member["role"], number> = { owner: 0, admin: 1, member: 2 };

/**
 * `conversation.joined`: in a room of at most LARGE_ROOM_MEMBERS members,
 * every member, who is online, and every receipt. In a larger one, the
 * joiner and the owner and admins first (up to LARGE_ROOM_MEMBERS entries),
 * their receipts, and up to LARGE_ROOM_MEMBERS online ids;
 * `conversation.member_count` and `online_count` give the totals.
 *
 * Everything is as the joiner may see it (decision 0028): members who do not
 * share their presence are not listed online (the joiner always sees
 * themselves), and read watermarks are hidden where the owner or the joiner
 * does not share read receipts.
 */
export function joinedData(store: ConversationStore, room: Room, userId: string): ServerData<"conversation.joined"> {
  const viewerMask = room.maskOf(userId);
  const receipt = (m: MemberRecord): Receipt => receiptFor(store.receipt(m), m.privacy, userId, viewerMask);
  const onlineIds = [...room.visibleOnline()];
  if (room.isOnline(userId) && room.hidesPresence(userId)) onlineIds.push(userId);
  if (store.memberCount <= LARGE_ROOM_MEMBERS) {
    const members = [...store.members()];
    return {
      conversation: store.viewWith(members),
      online: onlineIds,
      receipts: members.map(receipt),
      online_count: onlineIds.length,
    };
  }
  const listed: MemberRecord[] = [];
  const self = store.member(userId);
  if (self) listed.push(self);
  const staff = [...store.members()].filter((m) => m.role !== "member" && m.user_id !== userId).sort((a, b) => RANK[a.role] - RANK[b.role]);
  for (const m of staff) {
    if (listed.length >= LARGE_ROOM_MEMBERS) break;
    listed.push(m);
  }
  return {
    conversation: store.viewWith(listed),
    online: onlineIds.slice(0, LARGE_ROOM_MEMBERS),
    receipts: listed.map(receipt),
    online_count: onlineIds.length,
  };
}

/**
 * A page of the member list in `user_id` order, after `after`, as `viewerId`
 * may see it: presence and last seen only of members who share them (and of
 * the viewer), read watermarks as receiptFor allows.
 */
export function memberPage(store: ConversationStore, room: Room, after: string | undefined, limit: number, viewerId: string): MemberPage {
  const take = Math.min(Math.max(1, limit ?? DEFAULT_MEMBER_PAGE), MAX_MEMBER_PAGE);
  const viewerMask = room.maskOf(viewerId);
  const ids = [...store.memberIds()].filter((id) => after === undefined || id > after).sort();
  const page = ids.slice(0, take).map((id): MemberEntry => {
    const m = store.member(id)!;
    const shown = id === viewerId || !room.hidesPresence(id);
    const seen = receiptFor(store.receipt(m), m.privacy, viewerId, viewerMask);
    const online = shown && room.isOnline(id);
    const entry: MemberEntry = { user_id: m.user_id, username: m.username, role: m.role, read_seq: seen.read_seq, delivered_seq: seen.delivered_seq, online };
    if (shown && !online && m.last_seen_at !== null) entry.last_seen_at = m.last_seen_at;
    return entry;
  });
  const result: MemberPage = { members: page };
  if (ids.length > take) result.next_after = page.at(-1)!.user_id;
  return result;
}
