/**
 * Starts the real engine — `wrangler dev` (workerd through Miniflare) — on
 * 127.0.0.1 for end-to-end tests, chaos runs and benchmarks, from Node.
 *
 * Each engine gets its own HTTP port, inspector port and `--persist-to`
 * directory, so runs never share state. `kill()` ends the whole process group
 * with SIGKILL (wrangler and its workerd children: a crash, not a shutdown);
 * `restart()` starts again on the same directory, as after a server death.
 *
 * To extend: add options here, not new ways of starting the engine.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "../..");
export const TEST_SECRET = "e2e-secret-not-for-production-use";
/** util-linux's taskset, used when `EngineOptions.cpus` is set. */
export const TASKSET = "/usr/bin/taskset";

export interface EngineOptions {
  /** Extra `--var NAME:value` settings. */
  vars?: Record<string, string>;
  /** Keep state here instead of a fresh temporary directory. */
  persistTo?: string;
  /** Echo wrangler's output (for debugging). */
  verbose?: boolean;
  /**
   * The wrangler configuration file, absolute or relative to the repository
   * root. Default: the shipped `wrangler.toml`. The benchmark passes its own
   * (test/bench/floor/wrangler.toml), which adds a bench-only actor.
   */
  config?: string;
  /**
   * Runs wrangler under `taskset -c <cpus>` (a CPU list such as "0"): every
   * process it starts (its node child, esbuild, both workerd processes)
   * inherits the affinity. Default: no pinning. Linux only.
   */
  cpus?: string;
}

/** A free TCP port on 127.0.0.1, chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolvePort(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Engines still running in this process, ended if the process is ended. */
const running = new Set<ChildProcess>();
function killAll(): void {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  running.clear();
}
process.once("exit", killAll);
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

export class Engine {
  readonly persistTo: string;
  readonly #ownsDir: boolean;
  readonly #options: EngineOptions;
  #child: ChildProcess | undefined;
  #port = 0;
  #inspectorPort = 0;
  #vars: Record<string, string> = {};
  output = "";

  private constructor(options: EngineOptions) {
    this.#options = options;
    this.#ownsDir = options.persistTo === undefined;
    this.persistTo = options.persistTo ?? mkdtempSync(join(tmpdir(), "parley-e2e-"));
  }

  static async start(options: EngineOptions = {}): Promise<Engine> {
    const engine = new Engine(options);
    await engine.#spawn();
    return engine;
  }

  /** The inspector port of this run (`wrangler dev --inspector-port`): DevTools, CPU profiles. */
  get inspectorPort(): number {
    return this.#inspectorPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  /** Every `--var` the engine was started with (the launcher's defaults and `EngineOptions.vars`). */
  get vars(): Record<string, string> {
    return { ...this.#vars };
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async #spawn(port?: number): Promise<void> {
    this.#port = port ?? (await freePort());
    const inspector = await freePort();
    this.#inspectorPort = inspector;
    const vars: Record<string, string> = {
      AUTH_SECRET: TEST_SECRET,
      DEV_LOGIN: "true",
      ALLOWED_ORIGINS: "*",
      // Every client of a local run comes from 127.0.0.1: the per-IP auth
      // limit would throttle a test or a benchmark that signs in many users.
      AUTH_RATE_LIMIT: "1000000/60000",
      ...this.#options.vars,
    };
    this.#vars = vars;
    const args = [
      join(ROOT, "node_modules/wrangler/bin/wrangler.js"), "dev",
      "--config", resolve(ROOT, this.#options.config ?? "wrangler.toml"),
      "--ip", "127.0.0.1",
      "--port", String(this.#port),
      "--inspector-port", String(inspector),
      "--persist-to", this.persistTo,
      "--show-interactive-dev-session=false",
      "--log-level", "warn",
      ...Object.entries(vars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
    ];
    // taskset execs the command in place: the child's pid is still wrangler's,
    // and it still leads its own process group.
    const [command, argv] = this.#options.cpus === undefined
      ? [process.execPath, args]
      : [TASKSET, ["-c", this.#options.cpus, process.execPath, ...args]];
    const child = spawn(command, argv, {
      cwd: ROOT,
      detached: true, // own process group, so kill() reaches workerd too
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", CI: "true", NO_COLOR: "1" },
    });
    this.#child = child;
    running.add(child);
    child.once("exit", () => running.delete(child));
    const collect = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output = (this.output + text).slice(-200_000);
      if (this.#options.verbose) process.stderr.write(text);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    await this.#waitHealthy(60_000);
  }

  async #waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.#child?.exitCode !== null && this.#child?.exitCode !== undefined) {
        throw new Error(`wrangler dev exited with ${this.#child.exitCode}:\n${this.output.slice(-4000)}`);
      }
      try {
        const res = await fetch(`${this.url}/healthz`, { signal: AbortSignal.timeout(2000) });
        if (res.ok) return;
      } catch {
        // not up yet
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`wrangler dev did not become healthy in ${timeoutMs} ms:\n${this.output.slice(-4000)}`);
  }

  /** Kills wrangler and workerd at once (SIGKILL to the process group): a crash. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child?.pid || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await exited;
    this.#child = undefined;
  }

  /** Starts again on the same persisted state and the same port, as after a server death. */
  async restart(): Promise<void> {
    await this.kill();
    await this.#spawn(this.#port);
  }

  /** Stops the engine and removes its state directory if it made one. */
  async stop(): Promise<void> {
    await this.kill();
    if (this.#ownsDir) rmSync(this.persistTo, { recursive: true, force: true });
  }
}
