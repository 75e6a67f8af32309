/** A conversation's details: a group's name, members, roles, adding, removing, handing over, leaving; mute; for a direct one, the person. */
import { Icon } from "./icons.tsx";
import { useSignal } from "@preact/signals";
import type * as P from "preact";
import * as rest from "../api/rest.ts";
import { errorText, type Chat } from "../chat.ts";
import type { Room } from "../room.ts";
import { askConfirm, go } from "../ui-state.ts";
import { Avatar, Dialog, MenuButton, PresenceDot, presenceText, type MenuItem } from "./common.tsx";
import { PeoplePicker } from "./NewConversation.tsx";
import { ReportDialog } from "./Report.tsx";
import { BotBadge } from "./BotBadge.tsx";
import { InviteLinks } from "./Invite.tsx";

const RANK: Record<string, number> = { member: 0, admin: 1, owner: 2 };
const ROLE_TEXT: Record<string, string> = { owner: "Owner", admin: "Admin", member: "Member" };

export function ConversationInfo({ chat, room, onClose }: { chat: Chat; room: Room; onClose: () => void }) {
  const view = room.view.value;
  const error = useSignal("");
  const title = useSignal(view?.title ?? "");
  const reporting = useSignal(false);
  const entry = chat.entries.value.get(room.id);
  const muted = entry?.summary?.muted === true;
  const me = view?.members.find((m) => m.user_id === chat.userId);
  const myRank = RANK[me?.role ?? "member"] ?? 0;

  const act = async (what: () => Promise<unknown>) => {
    error.value = "";
    try {
      await what();
    } catch (err) {
      error.value = errorText(err);
    }
  };
  const update = (v: Awaited<ReturnType<typeof rest.renameGroup>>) => {
    room.view.value = v;
    chat.putView(v);
  };

  const muteToggle = (
    <div class="setting-row">
      <span>{muted ? "Muted: no notifications from this conversation." : "Notifications are on."}</span>
      <button type="button" data-testid="mute-toggle" aria-pressed={muted} onClick={() => void act(() => chat.setMuted(room.id, !muted))}>
        {muted ? "Unmute" : "Mute"}
      </button>
    </div>
  );

  if (view?.kind === "direct") {
    const otherId = chat.otherMember(room.id);
    const other = otherId ? chat.people.value.get(otherId) : undefined;
    const username = other?.username ?? view.members.find((m) => m.user_id === otherId)?.username ?? "";
    const blocked = chat.blocked.value.has(username.toLowerCase());
    return (
      <Dialog title="Details" onClose={onClose} testId="conversation-info">
        <div class="profile-card">
          <Avatar name={other?.display_name ?? username} id={otherId ?? ""} size="lg" />
          <div>
            <h3>
              {other?.display_name ?? username} <BotBadge chat={chat} userId={otherId} />
            </h3>
            <p class="muted">@{username}</p>
            <p class="muted small">
              <PresenceDot presence={otherId ? chat.presence.value.get(otherId) : undefined} /> {presenceText(otherId ? chat.presence.value.get(otherId) : undefined)}
            </p>
          </div>
        </div>
        {muteToggle}
        <div class="setting-row">
          <span>{blocked ? `You blocked ${username}.` : `Block ${username}: they cannot write to you, add you to groups or see your presence.`}</span>
          <button type="button" class={blocked ? "" : "danger"} data-testid="block-toggle" onClick={() => void act(() => chat.setBlocked(username, !blocked))}>
            {blocked ? "Unblock" : "Block"}
          </button>
        </div>
        <div class="setting-row">
          <span>Report {username} for review.</span>
          <button type="button" class="danger" onClick={() => (reporting.value = true)}>
            Report
          </button>
        </div>
        <p class="error" role="alert">
          {error.value}
        </p>
        {reporting.value && <ReportDialog target={{ kind: "user", username }} onClose={() => (reporting.value = false)} />}
      </Dialog>
    );
  }

  const canManage = myRank >= 1;
  const rename = (e: P.TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    void act(async () => update(await rest.renameGroup(room.id, title.value.trim())));
  };
  const leave = () => {
    const others = (view?.members.length ?? 1) - 1;
    if (me?.role === "owner" && others > 0) {
      error.value = "Hand over ownership to another member before leaving.";
      return;
    }
    askConfirm({
      title: "Leave this group?",
      text: "You will no longer get its messages. Someone has to add you again to come back.",
      confirm: "Leave",
      danger: true,
      onConfirm: async () => {
        try {
          await rest.removeMember(room.id, chat.userId);
          chat.forget(room.id);
          go({ name: "home" }, true);
        } catch (err) {
          error.value = errorText(err);
        }
      },
    });
  };
  return (
    <Dialog title="Group settings" onClose={onClose} testId="conversation-info" wide>
      {canManage ? (
        <form class="row" onSubmit={rename}>
          <label for="group-rename" class="grow">
            Group name
            <input id="group-rename" maxLength={200} value={title.value} onInput={(e) => (title.value = e.currentTarget.value)} />
          </label>
          <button type="submit">Rename</button>
        </form>
      ) : (
        <p>
          <strong>{view?.title}</strong>
        </p>
      )}
      {muteToggle}
      <h3 id="members-title">
        Members <span class="muted">({view?.member_count ?? view?.members.length ?? 0})</span>
      </h3>
      <ul class="members" aria-labelledby="members-title" data-testid="members">
        {view?.members.map((m) => {
          const rank = RANK[m.role] ?? 0;
          const isMe = m.user_id === chat.userId;
          const name = chat.displayName(m.user_id);
          const items: MenuItem[] = [];
          if (!isMe && me?.role === "owner") {
            items.push({
              label: "Make owner",
              onSelect: () =>
                askConfirm({
                  title: `Hand the group over to ${name}?`,
                  text: "They become the owner and you an admin.",
                  confirm: "Hand over",
                  onConfirm: () => act(async () => update(await rest.setRole(room.id, m.user_id, "owner"))),
                }),
            });
            items.push(
              m.role === "admin"
                ? { label: "Remove admin role", onSelect: () => void act(async () => update(await rest.setRole(room.id, m.user_id, "member"))) }
                : { label: "Make admin", onSelect: () => void act(async () => update(await rest.setRole(room.id, m.user_id, "admin"))) },
            );
          }
          if (!isMe && myRank > rank) {
            items.push({ label: "Remove from group", danger: true, onSelect: () => void act(async () => update(await rest.removeMember(room.id, m.user_id))) });
          }
          return (
            <li key={m.user_id} class="member" data-testid="member" data-user-id={m.user_id} data-role={m.role}>
              <span class="item-avatar">
                <Avatar name={name} id={m.user_id} size="sm" />
                <PresenceDot presence={isMe ? { status: chat.myStatus.value } : chat.presence.value.get(m.user_id)} />
              </span>
              <span class="grow">
                {name}
                {isMe ? " (you)" : ""} <BotBadge chat={chat} userId={m.user_id} /> <span class="muted small">@{m.username}</span>
              </span>
              <span class={`role role-${m.role}`}>{ROLE_TEXT[m.role] ?? m.role}</span>
              {items.length > 0 && <MenuButton label={`Actions for ${m.username}`} icon={<Icon name="more" />} items={items} />}
            </li>
          );
        })}
      </ul>
      {canManage && (
        <PeoplePicker
          chat={chat}
          id="add-people"
          label="Add people"
          exclude={view?.members.map((m) => m.username) ?? []}
          onPick={(u) => void act(async () => update(await rest.addMembers(room.id, [u.username])))}
        />
      )}
      {canManage && <InviteLinks conversationId={room.id} />}
      <div class="setting-row">
        <span>Leave the group.</span>
        <button type="button" class="danger" data-testid="leave-group" onClick={leave}>
          Leave group
        </button>
      </div>
      <p class="error" role="alert" data-testid="info-error">
        {error.value}
      </p>
    </Dialog>
  );
}
