/**
 * The operator's screens in the web app (docs/protocol.md §22.14, §22.15,
 * §22.18), in Chromium against the real engine: a user reports a message
 * in the app; an operator finds the report, reads the message in its
 * context, resolves it, suspends the sender (whose open app is signed out
 * and whose sign-in is refused), deletes the message and reinstates them;
 * makes a bot (its token shown once, then rotated), adds a webhook endpoint
 * — a receiver this test starts on 127.0.0.1 — sees its deliveries and
 * sends one again; reads the counters. Anyone else sees no operator screen.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeReceiver } from "../support/receivers.ts";
import { apiUser, messageAction, messageWith, openConversation, rest, signIn, signedIn, startAppEnv, uniqueUser, type AppEnv } from "./app-helpers.ts";

let env: AppEnv;
let receiver: FakeReceiver;
const OPERATOR = uniqueUser("ops");

beforeAll(async () => {
  receiver = await FakeReceiver.start();
  env = await startAppEnv({ vars: { OPERATORS: OPERATOR, WEBHOOK_ALLOW_LOOPBACK: "true", LOG_LEVEL: "warn" } });
});

afterAll(async () => {
  await env?.stop();
  await receiver?.stop();
});

describe("the operator's screens", () => {
  it("are not shown to anyone else", async () => {
    const b = await signedIn(env, uniqueUser("plain"));
    await b.getByTestId("notifications-link").waitFor();
    await b.goto(`${env.engine.url}/#/admin/reports`);
    await b.getByTestId("admin-refused").waitFor();
    expect(await b.getByTestId("operator-link").count()).toBe(0);
    expect(await b.getByTestId("admin-reports").count()).toBe(0);
    await b.context().close();
  });

  it("review a report made in the app: the message in context, resolve, suspend (the user's app is signed out), delete the message, reinstate", async () => {
    const reporter = uniqueUser("reporter");
    const offender = uniqueUser("offender");
    const [reporterApi, offenderApi] = await Promise.all([apiUser(env, reporter), apiUser(env, offender)]);
    const { conversation } = await rest(env, reporterApi.access_token, "POST", "/v1/conversations", { kind: "group", title: "Market", members: [offender] });
    const gid: string = conversation.id;
    const say = (token: string, key: string, body: string) => rest(env, token, "POST", `/v1/conversations/${gid}/messages`, { client_msg_id: key, body });
    await say(reporterApi.access_token, "m1", "anyone selling a bike?");
    await say(offenderApi.access_token, "m2", "send me your password and I will");
    await say(reporterApi.access_token, "m3", "no thanks");

    const [r, x, op] = await Promise.all([signedIn(env, reporter), signedIn(env, offender), signedIn(env, OPERATOR)]);
    // The reporter reports the message in the app.
    await openConversation(r, "Market");
    await messageAction(r, "send me your password and I will", "Report");
    await r.getByLabel("Reason").fill("phishing");
    await r.getByTestId("report-dialog").getByRole("button", { name: "Send report" }).click();
    await r.getByTestId("report-done").waitFor();
    // The offender has the group open.
    await openConversation(x, "Market");

    // The operator: the link, the open report, the message in its context.
    await op.getByTestId("operator-link").click();
    const item = op.getByTestId("report-item").filter({ hasText: "phishing" });
    await item.click();
    const detail = op.getByTestId("report-detail");
    await expect.poll(() => detail.locator("[data-testid=context-message][data-reported=true] [data-testid=context-body]").textContent()).toBe("send me your password and I will");
    expect(await detail.getByTestId("context-body").allTextContents()).toEqual(["anyone selling a bike?", "send me your password and I will", "no thanks"]);
    expect(await detail.getByTestId("report-target").textContent()).toContain(offender);

    // Resolve with a note: it leaves the open list and is in the resolved one.
    await detail.getByLabel("Resolution note").fill("phishing attempt, user suspended");
    await detail.getByTestId("report-resolve").click();
    await expect.poll(() => detail.getByTestId("report-status").textContent()).toContain("phishing attempt, user suspended");
    expect((await rest(env, (await apiUser(env, OPERATOR)).access_token, "GET", `/v1/admin/reports?status=open`)).reports.some((p: { reason: string }) => p.reason === "phishing")).toBe(false);

    // Suspend with a reason: the offender's open app is signed out, and signing in again is refused.
    await detail.getByLabel("Reason for suspending (optional)").fill("phishing");
    await detail.getByTestId("report-suspend").click();
    await op.getByTestId("confirm-dialog").getByRole("button", { name: "Suspend" }).click();
    await expect.poll(() => detail.getByTestId("standing").textContent()).toContain("phishing");
    await x.getByTestId("login-view").waitFor({ timeout: 20_000 });
    await expect.poll(() => x.getByTestId("login-view").textContent()).toContain("suspended");
    await x.getByLabel("Username").fill(offender);
    await x.getByRole("button", { name: "Sign in", exact: true }).click();
    await expect.poll(() => x.getByTestId("login-view").textContent()).toContain("This account is suspended.");
    expect(await x.getByTestId("chat-view").count()).toBe(0);

    // Delete the message: the reporter sees it deleted.
    await detail.getByTestId("report-delete-message").click();
    await op.getByTestId("confirm-dialog").getByRole("button", { name: "Delete" }).click();
    await expect.poll(() => detail.locator("[data-testid=context-message][data-reported=true]").textContent()).toContain("Message deleted");
    await expect.poll(() => r.locator("[data-testid=message][data-deleted=true]").count()).toBe(1);

    // Reinstate: the offender can sign in again.
    await detail.getByTestId("report-unsuspend").click();
    await detail.getByTestId("report-suspend").waitFor();
    await signIn(x, offender);

    // The resolved filter lists it.
    await op.goto(`${env.engine.url}/#/admin/reports`);
    await op.getByTestId("reports-resolved").click();
    await op.locator("[data-testid=report-item][data-status=resolved]").filter({ hasText: "phishing" }).waitFor();
    for (const p of [r, x, op]) await p.context().close();
    expect(env.pageErrors).toEqual([]);
  });

  it("make a bot with its token shown once, rotate the token; add a webhook endpoint, see its deliveries and send one again; read the counters", async () => {
    const op = await signedIn(env, OPERATOR);
    await op.goto(`${env.engine.url}/#/admin/bots`);
    const bots = op.getByTestId("admin-bots");
    const botName = uniqueUser("robo");
    await bots.getByLabel("Username").fill(botName);
    await bots.getByLabel("Display name (optional)").fill("Robo");
    await bots.getByTestId("bot-create").click();
    const token = await bots.getByTestId("bot-token").inputValue();
    expect(token).toMatch(/^pbt_u_bot_/);
    const item = bots.getByTestId("bot-item").filter({ hasText: botName });
    await item.getByTestId("bot-badge").waitFor();
    // The token works; after "New token" the old one does not, the new one does.
    const asBot = (t: string) => fetch(`${env.engine.url}/v1/conversations?limit=1`, { headers: { authorization: `Bot ${t}` } });
    expect((await asBot(token)).status).toBe(200);
    await item.getByRole("button", { name: "New token" }).click();
    await op.getByTestId("confirm-dialog").getByRole("button", { name: "Make a new token" }).click();
    await expect.poll(() => bots.getByTestId("bot-token").inputValue()).not.toBe(token);
    const rotated = await bots.getByTestId("bot-token").inputValue();
    expect((await asBot(token)).status).toBe(401);
    expect((await asBot(rotated)).status).toBe(200);

    // A webhook endpoint for new messages, at a receiver of this test.
    await op.getByRole("link", { name: "Webhooks" }).click();
    const hooks = op.getByTestId("admin-webhooks");
    await hooks.getByLabel("URL").fill(`${receiver.url}/hook`);
    await hooks.getByTestId("webhook-create").click();
    expect(await hooks.getByTestId("webhook-secret").inputValue()).not.toBe("");
    await hooks.getByTestId("webhook-item").filter({ hasText: `${receiver.url}/hook` }).waitFor();
    const someone = await apiUser(env, uniqueUser("someone"));
    const { conversation } = await rest(env, someone.access_token, "POST", "/v1/conversations", { kind: "group", title: "Hooked", members: [] });
    await rest(env, someone.access_token, "POST", `/v1/conversations/${conversation.id}/messages`, { client_msg_id: "h1", body: "to the hook" });
    const [first] = await receiver.waitFor("/hook", 1);
    const eventId = first!.headers["parley-event-id"];

    // Its deliveries: the one delivered, sent again from the log (same event id).
    await hooks.getByRole("link", { name: "Deliveries" }).click();
    const log = op.getByTestId("admin-deliveries");
    await log.locator("[data-testid=delivery][data-status=delivered]").waitFor();
    await log.getByTestId("replay").first().click();
    const again = await receiver.waitFor("/hook", 2);
    expect(again[1]!.headers["parley-event-id"]).toBe(eventId);
    await log.getByTestId("replay-failed").click();
    await log.getByText("0 sent again.").waitFor();

    // The counters, as a table.
    await op.getByRole("link", { name: "Counters" }).click();
    const metrics = op.getByTestId("admin-metrics");
    await metrics.getByTestId("metrics-table").waitFor();
    expect(await metrics.getByTestId("metric").count()).toBeGreaterThan(0);
    await op.context().close();
    expect(env.pageErrors).toEqual([]);
  });
});
