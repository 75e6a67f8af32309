/**
 * Resident memory and CPU time of the engine's processes, read from /proc.
 *
 * `Engine` starts wrangler detached, so wrangler is the leader of its own
 * process group and every process it starts (its node child, esbuild, the
 * workerd processes) carries that group id: scanning /proc for the group
 * finds them all, however deep they are nested.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

export interface ProcInfo {
  pid: number;
  ppid: number;
  command: string;
  /**
   * What the process is in `wrangler dev`: "wrangler" (the CLI's node
   * process: bundling, structured logs from workerd, the loopback server),
   * "workerd-proxy" (wrangler's proxy worker, which owns the public port and
   * forwards every request and socket), "workerd-runtime" (the Worker and
   * the actors), "esbuild", or "launcher" (the node shim that starts wrangler).
   */
  role: string;
  rss_kib: number;
  /** User + system CPU time so far, in seconds. */
  cpu_s: number;
}

export interface GroupSnapshot {
  processes: ProcInfo[];
  /** Sum over the processes named workerd (proxy and runtime). */
  workerd_rss_kib: number;
  /** Sum over the whole group (wrangler's node processes and esbuild included). */
  total_rss_kib: number;
  workerd_cpu_s: number;
  total_cpu_s: number;
}

const CLOCK_TICKS = clockTicks();

/** The processes of group `pgid`; empty where /proc is unavailable. */
export function snapshotGroup(pgid: number | undefined, publicPort?: number): GroupSnapshot {
  const processes: ProcInfo[] = [];
  if (pgid !== undefined) {
    let entries: string[] = [];
    try {
      entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
    } catch {
      // Not Linux: no numbers, not an error.
    }
    for (const entry of entries) {
      const info = readProc(Number(entry), publicPort);
      if (info && info.pgid === pgid) processes.push(info.proc);
    }
  }
  processes.sort((a, b) => a.pid - b.pid);
  const workerd = processes.filter((p) => p.command === "workerd");
  const sum = (list: ProcInfo[], key: "rss_kib" | "cpu_s") => list.reduce((a, p) => a + p[key], 0);
  return {
    processes,
    workerd_rss_kib: sum(workerd, "rss_kib"),
    total_rss_kib: sum(processes, "rss_kib"),
    workerd_cpu_s: round2(sum(workerd, "cpu_s")),
    total_cpu_s: round2(sum(processes, "cpu_s")),
  };
}

function readProc(pid: number, publicPort: number | undefined): { pgid: number; proc: ProcInfo } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses.
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const command = stat.slice(open + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    const ppid = Number(fields[1]);
    const pgid = Number(fields[2]);
    const cpuTicks = Number(fields[11]) + Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    const role = roleOf(command, readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"), publicPort);
    return { pgid, proc: { pid, ppid, command, role, rss_kib: rss ? Number(rss) : 0, cpu_s: round2(cpuTicks / CLOCK_TICKS) } };
  } catch {
    return undefined; // exited while we looked
  }
}

function roleOf(command: string, argv: string[], publicPort: number | undefined): string {
  if (command === "workerd") {
    const onPublicPort = publicPort !== undefined && argv.some((a) => a.endsWith(`=127.0.0.1:${publicPort}`));
    return onPublicPort ? "workerd-proxy" : "workerd-runtime";
  }
  if (command === "node") return argv.some((a) => a.includes("wrangler-dist")) ? "wrangler" : "launcher";
  return command;
}

/** CPU seconds of each role between two snapshots of the same group. */
export function cpuByRole(before: GroupSnapshot, after: GroupSnapshot): Record<string, number> {
  const start = new Map(before.processes.map((p) => [p.pid, p.cpu_s]));
  const out: Record<string, number> = {};
  for (const p of after.processes) out[p.role] = round2((out[p.role] ?? 0) + p.cpu_s - (start.get(p.pid) ?? 0));
  return out;
}

/** RSS in MiB of each role. */
export function rssByRole(snap: GroupSnapshot): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of snap.processes) out[p.role] = Math.round(((out[p.role] ?? 0) + p.rss_kib / 1024) * 10) / 10;
  return out;
}

/**
 * Busy CPU seconds of the whole machine so far (all CPUs, from /proc/stat),
 * to tell how much of it went to processes other than the engine and the
 * benchmark itself during a scenario.
 */
export function machineBusySeconds(): number | undefined {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal …
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    return (total - idle) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

function clockTicks(): number {
  try {
    const n = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;
