/**
 * What the screen tests share: the four looks of every screen (desktop and
 * phone, light and dark), axe-core's serious and critical violations, and
 * the screenshot of a screen (kept under docs/screenshots/ for the screens
 * the README shows, when `npm run screenshots` sets PARLEY_SCREENSHOTS).
 *
 * axe is injected as a script, which the app's CSP forbids: the contexts
 * that use it are opened with `bypassCSP`.
 */
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { DESKTOP, PHONE, ROOT } from "./app-helpers.ts";

const AXE = join(ROOT, "node_modules/axe-core/axe.min.js");
/** Where screenshots go: the folder PARLEY_SCREENSHOTS names, else test/browser/screenshots (ignored by git). */
export const SCREENSHOTS = resolve(ROOT, process.env.PARLEY_SCREENSHOTS ?? "test/browser/screenshots");

export interface Variant {
  name: string;
  viewport: { width: number; height: number };
  colorScheme: "light" | "dark";
  phone: boolean;
}

export const VARIANTS: Variant[] = [
  { name: "desktop-light", viewport: DESKTOP, colorScheme: "light", phone: false },
  { name: "desktop-dark", viewport: DESKTOP, colorScheme: "dark", phone: false },
  { name: "phone-light", viewport: PHONE, colorScheme: "light", phone: true },
  { name: "phone-dark", viewport: PHONE, colorScheme: "dark", phone: true },
];

/** Serious and critical axe violations on the page as it is now (in `within`, if given), one line each. */
export async function axe(page: Page, within?: string): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (within) => {
    const w = window as unknown as { axe: { run(ctx: unknown, opts: object): Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: string[] }> }> }> } };
    const result = await w.axe.run(within ? { include: [within] } : document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  }, within);
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => `${v.impact} ${v.id}: ${v.help} (${v.targets.join(", ")})`);
}

/**
 * Judges one screen in one look: records its violations under `screen` in
 * `found`, and photographs it (every screen in a test run; only
 * `docScreens` for `npm run screenshots`).
 */
export async function checkScreen(page: Page, variant: Variant, screen: string, found: Record<string, string[]>, docScreens: ReadonlySet<string>): Promise<void> {
  // Let transitions and images settle before judging and photographing.
  await page.waitForTimeout(300);
  found[screen] = await axe(page);
  if (process.env.PARLEY_SCREENSHOTS === undefined || docScreens.has(screen)) await page.screenshot({ path: join(SCREENSHOTS, `${screen}-${variant.name}.png`) });
}
