import { afterEach, describe, expect, it, vi } from "vitest";
import { createLogger, parseLogLevel } from "./log.ts";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("createLogger", () => {
  it("writes lines at and above its level, as one JSON object each with its base fields", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => lines.push(line));
    vi.spyOn(console, "warn").mockImplementation((line: string) => lines.push(line));
    const log = createLogger("info", () => ({ actor: "Conversation:c_1" }));
    log("debug", "message.accepted", { seq: 1 });
    log("info", "socket.joined", { session_id: "s_1" });
    log("warn", "socket.bad_frame", { code: "bad_request" });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: "info", event: "socket.joined", actor: "Conversation:c_1", session_id: "s_1" }),
      expect.objectContaining({ level: "warn", event: "socket.bad_frame", actor: "Conversation:c_1", code: "bad_request" }),
    ]);
    expect(log.enabled("debug")).toBe(false);
    expect(createLogger("debug").enabled("debug")).toBe(true);
  });

  it("does not even build the base fields of a line it drops", () => {
    let built = 0;
    const log = createLogger("warn", () => {
      built += 1;
      return {};
    });
    log("info", "socket.connected");
    expect(built).toBe(0);
  });
});

describe("parseLogLevel", () => {
  it("knows the four levels in any case and falls back to info", () => {
    expect(["debug", "INFO", " warn ", "Error"].map(parseLogLevel)).toEqual(["debug", "info", "warn", "error"]);
    expect(parseLogLevel(undefined)).toBe("info");
    expect(parseLogLevel("verbose")).toBe("info");
  });
});
