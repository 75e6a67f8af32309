/**
 * CPU profiles of the engine's Worker and actors, through the inspector that
 * `wrangler dev` exposes (`--inspector-port`): the Chrome DevTools protocol's
 * `Profiler` domain, driven over a WebSocket, the same way DevTools' own
 * Profiler tab does it.
 *
 * A profile is a tree of call frames with samples; `summarize` turns it into
 * the functions that spent the most time themselves (self time) and the most
 * time including what they called (total time), which is what a reader
 * needs to find where the CPU goes. The raw `.cpuprofile` is written too, and
 * opens in Chrome DevTools or speedscope for a flame graph.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileLine {
  fn: string;
  where: string;
  self_ms: number;
  self_pct: number;
  total_ms: number;
  total_pct: number;
}

export class InspectorProfiler {
  readonly #ws: WebSocket;
  #id = 0;
  readonly #pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (raw) => {
      const msg = JSON.parse(raw.toString()) as { id?: number; result?: unknown; error?: { message: string } };
      if (msg.id === undefined) return;
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(new Error(msg.error.message));
      else p.resolve(msg.result);
    });
  }

  /** Connects to the first target the inspector lists (the user Worker, whose isolate runs the actors too). */
  static async connect(inspectorPort: number, timeoutMs = 10_000): Promise<InspectorProfiler> {
    const res = await fetch(`http://127.0.0.1:${inspectorPort}/json`, { signal: AbortSignal.timeout(timeoutMs) });
    const targets = (await res.json()) as Array<{ webSocketDebuggerUrl?: string; title?: string }>;
    const target = targets.find((t) => t.webSocketDebuggerUrl);
    if (!target?.webSocketDebuggerUrl) throw new Error(`the inspector on port ${inspectorPort} lists no target: ${JSON.stringify(targets)}`);
    const ws = new WebSocket(target.webSocketDebuggerUrl, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the inspector socket did not open")), timeoutMs);
      ws.once("open", () => {
        clearTimeout(timer);
        resolve();
      });
      ws.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    ws.on("error", () => {});
    const profiler = new InspectorProfiler(ws);
    await profiler.#call("Profiler.enable");
    // 100 µs between samples: fine enough for functions that take tens of µs per message.
    await profiler.#call("Profiler.setSamplingInterval", { interval: 100 });
    return profiler;
  }

  async start(): Promise<void> {
    await this.#call("Profiler.start");
  }

  async stop(): Promise<CpuProfile> {
    const result = (await this.#call("Profiler.stop", {}, 60_000)) as { profile: CpuProfile };
    return result.profile;
  }

  close(): void {
    this.#ws.close();
  }

  #call(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<unknown> {
    const id = ++this.#id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.#ws.send(JSON.stringify({ id, method, params }));
    });
  }
}

/**
 * The `limit` functions with the most self time, and their total time,
 * grouped by function name and place. Times are sampled, so they are shares
 * of the window, not exact durations.
 */
export function summarize(profile: CpuProfile, limit = 25): { sampled_ms: number; idle_pct: number; top: ProfileLine[] } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // A sample's time is the gap to the next one.
    const dt = deltas[i + 1] ?? 0;
    selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + Math.max(0, dt));
  }
  const key = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"}\u0000${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    all += us;
    if (node.callFrame.functionName === "(idle)") idle += us;
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    // Total: every distinct function on the stack gets the sample once (recursion counted once).
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  }
  const busy = Math.max(1, all - idle);
  const top = [...self.entries()]
    .filter(([k]) => !k.startsWith("(idle)") && !k.startsWith("(program)") && !k.startsWith("(root)"))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, us]) => {
      const [fn, where] = k.split("\u0000") as [string, string];
      const t = total.get(k) ?? us;
      return { fn, where, self_ms: round(us / 1000), self_pct: round((100 * us) / busy), total_ms: round(t / 1000), total_pct: round((100 * t) / busy) };
    });
  return { sampled_ms: round(all / 1000), idle_pct: round((100 * idle) / Math.max(1, all)), top };
}

/** The largest totals among our own code (src/, worker/): the call paths worth reading first. */
export function ownTotals(profile: CpuProfile, limit = 15): ProfileLine[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  const total = new Map<string, number>();
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    const dt = Math.max(0, deltas[i + 1] ?? 0);
    const leaf = byId.get(samples[i]!)!;
    if (leaf.callFrame.functionName === "(idle)") continue;
    busy += dt;
    const seen = new Set<string>();
    for (let cur: number | undefined = samples[i]; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (!/\/(src|worker)\//.test(n.callFrame.url)) continue;
      const k = `${n.callFrame.functionName || "(anonymous)"}\u0000${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  return [...total.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([k, us]) => {
      const [fn, where] = k.split("\u0000") as [string, string];
      return { fn, where, self_ms: 0, self_pct: 0, total_ms: round(us / 1000), total_pct: round((100 * us) / Math.max(1, busy)) };
    });
}

function shortUrl(url: string): string {
  if (!url) return "(native)";
  const m = /(src|worker|node_modules)\/.*$/.exec(url);
  return m ? m[0] : url.replace(/^.*\//, "");
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * The `profileWindow` hook of the workloads (BENCH_PROFILE=1): a profile of
 * each Parley measured window, written as `<outDir>/<stamp>.<label>.cpuprofile`
 * and summarized into `into[label]`. A failure to profile is recorded, never
 * fatal: the measurement goes on.
 */
export function profileWindows(
  inspectorPort: () => number,
  outDir: string,
  stamp: string,
  into: Record<string, unknown>,
  progress: (message: string) => void,
): (phase: "start" | "stop", target: string, label: string) => Promise<void> {
  let current: InspectorProfiler | undefined;
  return async (phase, target, label) => {
    if (target !== "parley") return;
    try {
      if (phase === "start") {
        current = await InspectorProfiler.connect(inspectorPort());
        await current.start();
        return;
      }
      if (!current) return;
      const profile = await current.stop();
      current.close();
      current = undefined;
      mkdirSync(outDir, { recursive: true });
      const file = join(outDir, `${stamp}.${label}.cpuprofile`);
      writeFileSync(file, JSON.stringify(profile));
      const summary = summarize(profile, 30);
      into[label] = { file, ...summary, own_code_totals: ownTotals(profile, 20) };
      progress(`  ${label}: CPU profile ${file} (${summary.sampled_ms} ms sampled, ${summary.idle_pct}% idle); top self time:`);
      for (const line of summary.top.slice(0, 10)) progress(`    ${String(line.self_pct).padStart(5)}%  ${line.fn}  ${line.where}`);
    } catch (e) {
      current?.close();
      current = undefined;
      into[label] = { error: e instanceof Error ? e.message : String(e) };
      progress(`  ${label}: profiling failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
}
