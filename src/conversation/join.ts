/**
 * What a joining socket is told about the room, and the member list over
 * REST. A small room ships everything inline; a large one ships a bounded
 * part, so that filling a room of n sockets does not cost O(n²) bytes, and
 * the rest is paged with `GET /v1/conversations/{id}/members`.
 */
import { DEFAULT_MEMBER_PAGE, MAX_MEMBER_PAGE, type Member, type MemberPage, type Receipt, type ServerData } from "../protocol/index.ts";
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
 */
export function joinedData(store: ConversationStore, room: Room, userId: string): ServerData<"conversation.joined"> {
  if (store.memberCount <= LARGE_ROOM_MEMBERS) {
    const members = [...store.members()];
    return {
      conversation: store.viewWith(members),
      online: [...room.online()],
      receipts: members.map((m) => store.receipt(m)),
      online_count: room.onlineCount(),
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
  const online: string[] = [];
  for (const id of room.online()) {
    if (online.length >= LARGE_ROOM_MEMBERS) break;
    online.push(id);
  }
  return {
    conversation: store.viewWith(listed),
    online,
    receipts: listed.map((m): Receipt => store.receipt(m)),
    online_count: room.onlineCount(),
  };
}

/** A page of the member list in `user_id` order, after `after`. */
export function memberPage(store: ConversationStore, room: Room, after: string | undefined, limit = DEFAULT_MEMBER_PAGE): MemberPage {
  const take = Math.min(Math.max(1, limit), MAX_MEMBER_PAGE);
  const ids = [...store.memberIds()].filter((id) => after === undefined || id > after).sort();
  const page = ids.slice(0, take).map((id) => {
    const m = store.member(id)!;
    return { user_id: m.user_id, username: m.username, role: m.role, read_seq: m.read_seq, delivered_seq: m.delivered_seq, online: room.isOnline(id) };
  });
  const result: MemberPage = { members: page };
  if (ids.length > take) result.next_after = page.at(-1)!.user_id;
  return result;
}
