/**
 * AUTH_SECRET is checked before anything changes, on every path. The Worker
 * (its Hono app, the same one SELF runs) is called here with the test
 * bindings but another AUTH_SECRET or DEV_LOGIN; the actors behind it are
 * the real ones.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { PUBLIC_DEV_SECRET } from "../../src/auth/secret.ts";
import { mintAccessToken } from "../../src/auth/tokens.ts";
import { ErrorBody, LoginResponse } from "../../src/protocol/index.ts";
import { app } from "../../worker/app.ts";
import { api, login, randomIp, uniqueName } from "./helpers.ts";

/** 20 bytes: accepted before secrets needed 32. */
const SHORT_SECRET = "twenty-bytes-secret!";

/** One request to the Worker under other settings; answers status and parsed body. */
async function callWith(
  vars: { AUTH_SECRET: string; DEV_LOGIN?: string },
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: any }> {
  const res = await app.request(`https://parley.test${path}`, {
    method,
    headers: {
      "cf-connecting-ip": randomIp(),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  }, { ...env, DEV_LOGIN: "true", ...vars });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function devSession(): Promise<LoginResponse & { refresh_token: string }> {
  const res = await api("POST", "/v1/auth/dev-login", undefined, { username: uniqueName("sec") });
  expect(res.status).toBe(200);
  return LoginResponse.parse(res.body) as LoginResponse & { refresh_token: string };
}

function expectInternal(res: { status: number; body: any }): void {
  expect(res.status).toBe(500);
  // A deployment fault: the client learns nothing about the secret.
  expect(ErrorBody.parse(res.body)).toMatchObject({ code: "internal", message: "Internal error; please retry." });
}

describe("AUTH_SECRET shorter than 32 bytes", () => {
  it("a dev login is refused before anyone is registered or any session opened", async () => {
    const username = uniqueName("short");
    expectInternal(await callWith({ AUTH_SECRET: SHORT_SECRET }, "POST", "/v1/auth/dev-login", { body: { username } }));
    const viewer = await login();
    expect((await api("GET", `/v1/users/${username}`, viewer.token)).status).toBe(404);
  });

  it("a refresh and a logout are refused before the session is touched: its token still rotates afterwards", async () => {
    const session = await devSession();
    expectInternal(await callWith({ AUTH_SECRET: SHORT_SECRET }, "POST", "/v1/auth/refresh", { body: { refresh_token: session.refresh_token } }));
    expectInternal(await callWith({ AUTH_SECRET: SHORT_SECRET }, "POST", "/v1/auth/logout", { body: { refresh_token: session.refresh_token } }));
    const refreshed = await api("POST", "/v1/auth/refresh", undefined, { refresh_token: session.refresh_token });
    expect(refreshed.status).toBe(200);
  });

  it("every authenticated route and socket upgrade answers 500, even with a token signed under that secret", async () => {
    const me = await login();
    const { token } = await mintAccessToken("x".repeat(32), { userId: me.userId, username: me.username, sessionId: "s" });
    // Minting under the short secret itself is refused too.
    await expect(mintAccessToken(SHORT_SECRET, { userId: me.userId, username: me.username, sessionId: "s" })).rejects.toThrow(/32 bytes/);
    for (const [method, path] of [["GET", "/v1/me"], ["GET", "/v1/conversations"], ["POST", "/v1/conversations"], ["GET", "/v1/inbox/ws"]] as const) {
      const res = await app.request(`https://parley.test${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, upgrade: "websocket", "content-type": "application/json" },
        body: method === "POST" ? JSON.stringify({ kind: "group", title: "t", members: [] }) : undefined,
      }, { ...env, AUTH_SECRET: SHORT_SECRET });
      expect(res.status, `${method} ${path}`).toBe(500);
    }
  });
});

describe("the public development secret", () => {
  it("is refused while DEV_LOGIN is off, and works for local runs with it on", async () => {
    const username = uniqueName("dev");
    const off = { AUTH_SECRET: PUBLIC_DEV_SECRET, DEV_LOGIN: "false" };
    const on = { AUTH_SECRET: PUBLIC_DEV_SECRET, DEV_LOGIN: "true" };
    expectInternal(await callWith(off, "POST", "/v1/auth/dev-login", { body: { username } }));
    // Anyone can mint a token with a public secret: such a token must open nothing.
    const forged = await mintAccessToken(PUBLIC_DEV_SECRET, { userId: `u_${uniqueName("forged")}`, username: uniqueName("forged"), sessionId: "s" });
    expectInternal(await callWith(off, "GET", "/v1/me", { token: forged.token }));
    const signedIn = await callWith(on, "POST", "/v1/auth/dev-login", { body: { username } });
    expect(signedIn.status).toBe(200);
    const me = await callWith(on, "GET", "/v1/me", { token: signedIn.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.user.username).toBe(username);
  });
});
