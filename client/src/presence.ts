/**
 * Automatic `away` (protocol v1.1, docs/topics.md "Presence"): a browser tab
 * hidden for a while reports the user `away`, and `online` again once it is
 * visible. It reads `document.visibilityState` and its `visibilitychange`
 * event; where there is no document (Node, a worker), it does nothing.
 */

/** A tab hidden this long counts as away, unless the client sets its own (`presence.autoAwayMs`). */
export const DEFAULT_AUTO_AWAY_MS = 5 * 60_000;

/** The part of `document` this needs. */
export interface VisibilitySource {
  readonly visibilityState: string;
  addEventListener(type: "visibilitychange", listener: () => void): void;
  removeEventListener(type: "visibilitychange", listener: () => void): void;
}

export interface PresenceOptions {
  /** How long a hidden tab waits before the user is reported away; `false` turns it off. Default 5 minutes. */
  autoAwayMs?: number | false;
  /** Where visibility is read; default the global `document` when there is one. */
  visibility?: VisibilitySource;
}

/** The global document, if this runtime has one that reports visibility. */
export function globalVisibility(): VisibilitySource | undefined {
  const doc = (globalThis as { document?: Partial<VisibilitySource> }).document;
  return doc && typeof doc.addEventListener === "function" && typeof doc.visibilityState === "string" ? (doc as VisibilitySource) : undefined;
}

/**
 * Watches visibility and says when the user should count as away: `true`
 * once the tab has stayed hidden for `afterMs`, `false` as soon as it is
 * visible again (only after a `true`). The owner decides what to send.
 */
export class AutoAway {
  readonly #source: VisibilitySource | undefined;
  readonly #afterMs: number;
  readonly #onChange: (away: boolean) => void;
  readonly #listener = () => this.#check();
  #timer: ReturnType<typeof setTimeout> | undefined;
  #away = false;

  constructor(onChange: (away: boolean) => void, options: PresenceOptions = {}) {
    this.#onChange = onChange;
    this.#afterMs = options.autoAwayMs === false ? 0 : options.autoAwayMs ?? DEFAULT_AUTO_AWAY_MS;
    this.#source = options.autoAwayMs === false ? undefined : options.visibility ?? globalVisibility();
    this.#source?.addEventListener("visibilitychange", this.#listener);
    this.#check();
  }

  /** Whether the user counts as away now. */
  get away(): boolean {
    return this.#away;
  }

  stop(): void {
    this.#source?.removeEventListener("visibilitychange", this.#listener);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #check(): void {
    const source = this.#source;
    if (!source) return;
    if (source.visibilityState === "hidden") {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        if (source.visibilityState !== "hidden" || this.#away) return;
        this.#away = true;
        this.#onChange(true);
      }, this.#afterMs);
      return;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#away) {
      this.#away = false;
      this.#onChange(false);
    }
  }
}
