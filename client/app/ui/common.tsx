/** Small pieces every screen uses: avatars, presence dots, dialogs, menus. */
import { Icon } from "./icons.tsx";
import type * as P from "preact";
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef } from "preact/hooks";
import { hue, initials, lastSeen } from "../format.ts";
import { narrow } from "../ui-state.ts";
import type { PresenceInfo } from "../chat.ts";

/** Initials on a colour of the person's own; the hue is a class (the CSP allows no inline style attribute). */
export function Avatar({ name, id, size = "md" }: { name: string; id: string; size?: "sm" | "md" | "lg" }) {
  return (
    <span class={`avatar avatar-${size} hue-${Math.floor(hue(id) / 30)}`} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

const STATUS_WORDS: Record<string, string> = { online: "Online", away: "Away", busy: "Busy", offline: "Offline" };

/** The word for a presence status; an unknown status string is shown as it came. */
export function statusWord(status: string): string {
  return STATUS_WORDS[status] ?? status.charAt(0).toUpperCase() + status.slice(1);
}

export function presenceText(p: PresenceInfo | undefined, now = Date.now()): string {
  if (!p || p.status === "offline") return p?.last_seen_at ? lastSeen(p.last_seen_at, now) : "Offline";
  return statusWord(p.status);
}

/** A coloured dot; `data-status` carries any status string (online, away, busy, offline, or one added later). */
export function PresenceDot({ presence }: { presence: PresenceInfo | undefined }) {
  const status = presence?.status ?? "offline";
  const known = status in STATUS_WORDS ? status : "other";
  return <span class={`presence-dot presence-${known}`} data-testid="presence-dot" data-status={status} role="img" aria-label={presenceText(presence)} title={presenceText(presence)} />;
}

/** On a narrow screen, where the list and the other views take turns, the way back to the list. */
export function BackLink() {
  if (!narrow.value) return null;
  return (
    <a class="icon-button back" href="#/" aria-label="Back to conversations">
      <Icon name="back" />
    </a>
  );
}

/**
 * A modal dialog on the native <dialog>: the browser traps focus, Escape
 * closes it (firing `close`), and focus returns where it was.
 */
export function Dialog({ title, onClose, children, wide, testId }: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean; testId?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dlg-${Math.random().toString(36).slice(2, 8)}`).current;
  // Closed because it is going away (its owner unmounted it): the `close`
  // event that follows, on the detached element, is not the person closing it.
  const leaving = useRef(false);
  useLayoutEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      leaving.current = true;
      d?.close();
    };
  }, []);
  return (
    <dialog
      ref={ref}
      class={`dialog${wide ? " dialog-wide" : ""}`}
      aria-labelledby={titleId}
      data-testid={testId}
      onClose={() => leaving.current || onClose()}
      onCancel={(e) => (e.preventDefault(), onClose())}
    >
      <header class="dialog-header">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon-button" aria-label="Close" onClick={onClose}>
          <Icon name="close" />
        </button>
      </header>
      <div class="dialog-body">{children}</div>
    </dialog>
  );
}

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
  /** A short visible text instead of the label (an emoji), the label staying the accessible name. */
  short?: string;
}

/**
 * A button that opens a menu: arrow keys move, Escape closes and gives the
 * focus back to the button, a click outside closes.
 */
export function MenuButton({ label, icon, items, row, class: cls }: { label: string; icon: P.ComponentChildren; items: MenuItem[]; row?: MenuItem[]; class?: string }) {
  const open = useRef(false);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const close = (focus = true) => {
    open.current = false;
    if (menu.current) menu.current.hidden = true;
    button.current?.setAttribute("aria-expanded", "false");
    if (focus) button.current?.focus();
  };
  const show = () => {
    open.current = true;
    if (menu.current) {
      menu.current.hidden = false;
      // Near the bottom of the window the menu opens upwards, so it is not cut off.
      const below = window.innerHeight - (button.current?.getBoundingClientRect().bottom ?? 0);
      menu.current.classList.toggle("menu-up", below < menu.current.offsetHeight + 8);
    }
    button.current?.setAttribute("aria-expanded", "true");
    menu.current?.querySelector<HTMLElement>("[role=menuitem]")?.focus();
  };
  useEffect(() => {
    const onDoc = (e: Event) => {
      if (open.current && !wrap.current?.contains(e.target as Node)) close(false);
    };
    document.addEventListener("pointerdown", onDoc);
    return () => document.removeEventListener("pointerdown", onDoc);
  }, []);
  const onKey = (e: P.TargetedKeyboardEvent<HTMLDivElement>) => {
    const all = [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitem]") ?? [])];
    const i = all.indexOf(document.activeElement as HTMLElement);
    if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === "ArrowDown" || e.key === "ArrowRight") {
      e.preventDefault();
      all[(i + 1) % all.length]?.focus();
    } else if (e.key === "ArrowUp" || e.key === "ArrowLeft") {
      e.preventDefault();
      all[(i - 1 + all.length) % all.length]?.focus();
    } else if (e.key === "Tab") {
      close(false);
    }
  };
  const pick = (item: MenuItem) => {
    close();
    item.onSelect();
  };
  return (
    <div class={`menu-wrap ${cls ?? ""}`} ref={wrap}>
      <button ref={button} type="button" class="icon-button" aria-label={label} title={label} aria-haspopup="menu" aria-expanded="false" onClick={() => (open.current ? close() : show())}>
        {icon}
      </button>
      <div ref={menu} class="menu" role="menu" aria-label={label} hidden onKeyDown={onKey}>
        {row && (
          <div class="menu-row" role="group" aria-label="Reactions">
            {row.map((item) => (
              <button type="button" role="menuitem" tabIndex={-1} class="menu-emoji" aria-label={item.label} title={item.label} onClick={() => pick(item)}>
                {item.short ?? item.label}
              </button>
            ))}
          </div>
        )}
        {items.map((item) => (
          <button type="button" role="menuitem" tabIndex={-1} class={item.danger ? "danger" : undefined} onClick={() => pick(item)}>
            {item.label}
          </button>
        ))}
      </div>
    </div>
  );
}
