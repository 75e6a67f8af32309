import { describe, expect, it } from "vitest";
import { SEND_RATE } from "../protocol/index.ts";
import { DEFAULT_HISTORY_RATE, DEFAULT_POLL_RATE, DEFAULT_SEARCH_RATE, DEFAULT_TYPING_RATE, configOf, parseRate, readConfig } from "./config.ts";

describe("parseRate", () => {
  it("reads COUNT/MILLISECONDS and falls back on anything else", () => {
    const fallback = { messages: 1, per_ms: 2 };
    expect(parseRate("30/10000", fallback)).toEqual({ messages: 30, per_ms: 10_000 });
    expect(parseRate(" 5 / 1000 ", fallback)).toEqual({ messages: 5, per_ms: 1000 });
    for (const bad of [undefined, "", "30", "0/1000", "5/0", "-1/10", "1.5/10", "x/y", "99999999999999999999/1"]) {
      expect(parseRate(bad, fallback), String(bad)).toEqual(fallback);
    }
  });
});

describe("readConfig", () => {
  it("uses the defaults for missing or malformed variables", () => {
    const c = readConfig({ SEND_RATE: "nonsense", MAX_SOCKETS_PER_USER: "0", LOG_LEVEL: "loud" });
    expect(c.sendRate).toEqual({ ...SEND_RATE });
    expect(c.maxSocketsPerUser).toBe(10);
    expect(c.logLevel).toBe("info");
    expect(c.heartbeatMs).toBe(30_000);
    expect(readConfig({ GROUP_ADD_RATE: "many", INBOX_SNAPSHOT_MAX: "-3" })).toMatchObject({
      groupAddRate: { messages: 1000, per_ms: 3_600_000 }, inboxSnapshotMax: 50,
    });
    expect(readConfig({ HISTORY_RATE: "0/10", POLL_RATE: "x", SEARCH_RATE: "", TYPING_RATE: "1.5/2" })).toMatchObject({
      historyRate: DEFAULT_HISTORY_RATE, pollRate: DEFAULT_POLL_RATE, searchRate: DEFAULT_SEARCH_RATE, typingRate: DEFAULT_TYPING_RATE,
    });
  });

  it("takes every limit from its variable", () => {
    const c = readConfig({
      SEND_RATE: "1000/1000", SYNC_BUDGET: "7/700", MAX_SOCKETS_PER_USER: "3", MAX_INBOX_SOCKETS: "4",
      MAX_GROUP_MEMBERS: "50", MAX_SESSIONS: "2", AUTH_RATE_LIMIT: "9/90", HEARTBEAT_MS: "5000", LOG_LEVEL: "DEBUG",
      REFRESH_RATE_LIMIT: "3/30", REPORT_RATE_LIMIT: "4/40",
      GROUP_CREATE_RATE: "3/300", GROUP_ADD_RATE: "40/400", PRESENCE_SET_RATE: "5/500", INBOX_SNAPSHOT_MAX: "25",
      TYPING_RATE: "3/30", HISTORY_RATE: "4/40", POLL_RATE: "5/50", SEARCH_RATE: "6/60",
    });
    expect(c).toMatchObject({
      sendRate: { messages: 1000, per_ms: 1000 }, syncBudget: { messages: 7, per_ms: 700 }, maxSocketsPerUser: 3, maxInboxSockets: 4,
      maxGroupMembers: 50, maxSessions: 2, authRate: { messages: 9, per_ms: 90 }, heartbeatMs: 5000, logLevel: "debug",
      refreshRate: { messages: 3, per_ms: 30 }, reportRate: { messages: 4, per_ms: 40 },
      groupCreateRate: { messages: 3, per_ms: 300 }, groupAddRate: { messages: 40, per_ms: 400 },
      presenceSetRate: { messages: 5, per_ms: 500 }, inboxSnapshotMax: 25,
      typingRate: { messages: 3, per_ms: 30 }, historyRate: { messages: 4, per_ms: 40 }, pollRate: { messages: 5, per_ms: 50 },
      searchRate: { messages: 6, per_ms: 60 },
    });
  });

  it("reads the upload limits, keeping only well-formed content types", () => {
    const c = readConfig({ MAX_ATTACHMENT_BYTES: "1024", ATTACHMENT_TYPES: "image/png, TEXT/plain,not a type,," });
    expect(c.maxAttachmentBytes).toBe(1024);
    expect([...c.attachmentTypes]).toEqual(["image/png", "text/plain"]);
    expect(readConfig({ ATTACHMENT_TYPES: ",,," }).attachmentTypes.has("image/png")).toBe(true);
  });

  it("reads the presence delay and the topic settings, within their bounds", () => {
    expect(readConfig({})).toMatchObject({
      presenceOfflineDelayMs: 10_000, topicCoalesceMs: 1000, topicRetentionEvents: 1000, topicRetentionMs: 86_400_000,
      topicMaxEventBytes: 16_384, topicPublishRate: { messages: 100, per_ms: 1000 }, topicSubscribeRate: { messages: 60, per_ms: 60_000 },
    });
    expect(readConfig({
      PRESENCE_OFFLINE_DELAY_MS: "2000", TOPIC_COALESCE_MS: "250", TOPIC_RETENTION_EVENTS: "50", TOPIC_RETENTION_MS: "60000",
      TOPIC_MAX_EVENT_BYTES: "1024", TOPIC_PUBLISH_RATE: "5/1000", TOPIC_SUBSCRIBE_RATE: "7/700",
    })).toMatchObject({
      presenceOfflineDelayMs: 2000, topicCoalesceMs: 250, topicRetentionEvents: 50, topicRetentionMs: 60_000,
      topicMaxEventBytes: 1024, topicPublishRate: { messages: 5, per_ms: 1000 }, topicSubscribeRate: { messages: 7, per_ms: 700 },
    });
    // Out of bounds (a coalescing window of 1 ms, a payload over the REST body limit, a day-long offline delay): the default.
    expect(readConfig({
      TOPIC_COALESCE_MS: "1", TOPIC_MAX_EVENT_BYTES: "1000000", PRESENCE_OFFLINE_DELAY_MS: "86400000", TOPIC_RETENTION_EVENTS: "20000",
      TOPIC_RETENTION_MS: "10",
    })).toMatchObject({
      topicCoalesceMs: 1000, topicMaxEventBytes: 16_384, presenceOfflineDelayMs: 10_000, topicRetentionEvents: 1000, topicRetentionMs: 86_400_000,
    });
  });

  it("is read once per env object", () => {
    const env = { SEND_RATE: "2/20" };
    expect(configOf(env)).toBe(configOf(env));
  });
});

describe("sign-in settings", () => {
  it("offer passkeys by default, with the request's host and origin, and no OAuth provider", () => {
    expect(readConfig({}).signIn).toEqual({ passkeys: true, rpId: undefined, rpName: "Parley", origins: [], github: undefined, google: undefined });
  });

  it("enable a provider only with both its client id and secret, with the real URLs unless set", () => {
    const c = readConfig({ GITHUB_CLIENT_ID: "id", GITHUB_CLIENT_SECRET: "s", GOOGLE_CLIENT_ID: "gid" }).signIn;
    expect(c.github).toEqual({
      clientId: "id", clientSecret: "s",
      authorizeUrl: "https://github.com/login/oauth/authorize", tokenUrl: "https://github.com/login/oauth/access_token", userUrl: "https://api.github.com/user",
    });
    expect(c.google).toBeUndefined();
    const g = readConfig({ GOOGLE_CLIENT_ID: "gid", GOOGLE_CLIENT_SECRET: "gs", GOOGLE_TOKEN_URL: "http://127.0.0.1:9000/token", GOOGLE_AUTHORIZE_URL: "ftp://x/", GOOGLE_ISSUER: "http://127.0.0.1:9000" }).signIn.google!;
    expect(g).toMatchObject({ tokenUrl: "http://127.0.0.1:9000/token", authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth", issuer: "http://127.0.0.1:9000" });
  });

  it("read the RP settings, leaving out what is not an origin or a host name", () => {
    const c = readConfig({ PASSKEYS: "FALSE", WEBAUTHN_RP_ID: "chat.example.com", WEBAUTHN_ORIGINS: "https://chat.example.com,nonsense,https://a.example/path, http://localhost:8787 " }).signIn;
    expect(c).toMatchObject({ passkeys: false, rpId: "chat.example.com", origins: ["https://chat.example.com", "http://localhost:8787"] });
    expect(readConfig({ WEBAUTHN_RP_ID: "https://x" }).signIn.rpId).toBeUndefined();
  });
});

describe("integration settings", () => {
  it("reads OPERATORS, BOT_SEND_RATE, WEBHOOK_ALLOW_LOOPBACK, PUSH_ENDPOINTS and INVITE_RATE, with defaults", async () => {
    const { DEFAULT_BOT_SEND_RATE, DEFAULT_INVITE_RATE, DEFAULT_PUSH_ENDPOINTS } = await import("./config.ts");
    const d = readConfig({});
    expect([...d.operators]).toEqual([]);
    expect(d.botSendRate).toEqual(DEFAULT_BOT_SEND_RATE);
    expect(d.webhookAllowLoopback).toBe(false);
    expect(d.pushEndpoints).toEqual(DEFAULT_PUSH_ENDPOINTS);
    expect(d.inviteRate).toEqual(DEFAULT_INVITE_RATE);
    const c = readConfig({
      OPERATORS: " Alice, u_AbC1 ,,bob ", BOT_SEND_RATE: "5/1000", WEBHOOK_ALLOW_LOOPBACK: "true",
      PUSH_ENDPOINTS: "http://127.0.0.1, .example.com, not a host!, https://x.y", INVITE_RATE: "3/60000",
    });
    expect([...c.operators].sort()).toEqual(["alice", "bob", "u_AbC1"]);
    expect(c.botSendRate).toEqual({ messages: 5, per_ms: 1000 });
    expect(c.webhookAllowLoopback).toBe(true);
    expect(c.pushEndpoints).toEqual(["http://127.0.0.1", ".example.com"]);
    expect(c.inviteRate).toEqual({ messages: 3, per_ms: 60_000 });
    expect(readConfig({ WEBHOOK_ALLOW_LOOPBACK: "yes", PUSH_ENDPOINTS: "%%%" })).toMatchObject({ webhookAllowLoopback: false, pushEndpoints: DEFAULT_PUSH_ENDPOINTS });
  });
});
