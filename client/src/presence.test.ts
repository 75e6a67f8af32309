import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AutoAway, DEFAULT_AUTO_AWAY_MS, type VisibilitySource } from "./presence.ts";

/** A stand-in for `document`'s visibility (a browser API, not one of ours): hide() and show() fire visibilitychange. */
class Visibility implements VisibilitySource {
  visibilityState = "visible";
  readonly #listeners = new Set<() => void>();
  addEventListener(_type: "visibilitychange", listener: () => void): void {
    this.#listeners.add(listener);
  }
  removeEventListener(_type: "visibilitychange", listener: () => void): void {
    this.#listeners.delete(listener);
  }
  get listeners(): number {
    return this.#listeners.size;
  }
  hide(): void {
    this.visibilityState = "hidden";
    for (const l of this.#listeners) l();
  }
  show(): void {
    this.visibilityState = "visible";
    for (const l of this.#listeners) l();
  }
}

describe("AutoAway", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("reports away once the tab stayed hidden for the delay, and back when it is visible", () => {
    const visibility = new Visibility();
    const changes: boolean[] = [];
    const auto = new AutoAway((away) => changes.push(away), { visibility, autoAwayMs: 1000 });
    visibility.hide();
    vi.advanceTimersByTime(999);
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(changes).toEqual([true]);
    expect(auto.away).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(changes).toEqual([true]);
    visibility.show();
    expect(changes).toEqual([true, false]);
    expect(auto.away).toBe(false);
  });

  it("a tab hidden for less than the delay changes nothing", () => {
    const visibility = new Visibility();
    const changes: boolean[] = [];
    new AutoAway((away) => changes.push(away), { visibility, autoAwayMs: 1000 });
    visibility.hide();
    vi.advanceTimersByTime(500);
    visibility.show();
    visibility.hide();
    vi.advanceTimersByTime(500);
    visibility.show();
    vi.advanceTimersByTime(5000);
    expect(changes).toEqual([]);
  });

  it("waits five minutes by default, starts counting when created hidden, and stops listening when stopped", () => {
    const visibility = new Visibility();
    visibility.visibilityState = "hidden";
    const changes: boolean[] = [];
    const auto = new AutoAway((away) => changes.push(away), { visibility });
    vi.advanceTimersByTime(DEFAULT_AUTO_AWAY_MS - 1);
    expect(changes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(changes).toEqual([true]);
    auto.stop();
    expect(visibility.listeners).toBe(0);
    visibility.show();
    expect(changes).toEqual([true]);
  });

  it("does nothing without a document, or when turned off", () => {
    const changes: boolean[] = [];
    const none = new AutoAway((away) => changes.push(away));
    expect(none.away).toBe(false);
    const visibility = new Visibility();
    new AutoAway((away) => changes.push(away), { visibility, autoAwayMs: false });
    expect(visibility.listeners).toBe(0);
    visibility.hide();
    vi.advanceTimersByTime(DEFAULT_AUTO_AWAY_MS * 2);
    expect(changes).toEqual([]);
  });
});
