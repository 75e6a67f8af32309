/**
 * Attachments (protocol v1.1): uploads by members into the real R2 binding
 * (Miniflare's), sent with a message, downloaded by members with safe
 * headers, removed with their message, and cleaned up when never sent.
 */
import { SELF, env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, createGroup, login, randomIp, type Session } from "./helpers.ts";

const BASE = "https://parley.test";

function png(width: number, height: number): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

async function upload(who: Session, id: string, bytes: Uint8Array | string, type: string, name = "file.bin"): Promise<{ status: number; body: any }> {
  const res = await SELF.fetch(`${BASE}/v1/conversations/${id}/attachments?name=${encodeURIComponent(name)}`, {
    method: "POST",
    headers: { authorization: `Bearer ${who.token}`, "content-type": type, "cf-connecting-ip": randomIp() },
    body: bytes,
  });
  return { status: res.status, body: await res.json() };
}

async function download(who: Session, id: string, attachment: string): Promise<Response> {
  return SELF.fetch(`${BASE}/v1/conversations/${id}/attachments/${attachment}`, { headers: { authorization: `Bearer ${who.token}` } });
}

/** Retries an assertion for up to 5 s (the alarm that deletes files runs on its own schedule). */
async function eventually(check: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const objects = async (id: string) => (await env.FILES.list({ prefix: `conversations/${id}/` })).objects.map((o) => o.key);

describe("attachments", () => {
  it("a member uploads an image, sends it with a message, and members download it with its size and safe headers", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const up = await upload(a, id, png(320, 200), "image/png", "cat.png");
    expect(up.status).toBe(201);
    expect(up.body.attachment).toMatchObject({ name: "cat.png", content_type: "image/png", size: 64, width: 320, height: 200 });
    const attachmentId = up.body.attachment.id as string;
    const sent = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "pic", body: "look", attachments: [attachmentId] });
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    const history = await api("GET", `/v1/conversations/${id}/messages`, b.token);
    expect(history.body.messages[0].attachments).toEqual([up.body.attachment]);

    const res = await download(b, id, attachmentId);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("content-disposition")).toMatch(/^inline; filename\*=UTF-8''cat\.png$/);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(png(320, 200));
    // Sent once: the same upload cannot be attached again.
    const again = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "pic2", body: "again", attachments: [attachmentId] });
    expect(again.body.code).toBe("bad_request");
  });

  it("refuses types off the list, files over the limit, strangers, and uploads of others; other types download as attachments", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    expect((await upload(a, id, "<html><script>alert(1)</script>", "text/html")).body.code).toBe("bad_request");
    expect((await upload(a, id, new Uint8Array(10 * 1024 * 1024 + 1), "application/pdf")).body.code).toBe("payload_too_large");
    expect((await upload(a, id, "", "text/plain")).status).toBe(400);
    const stranger = await login();
    expect([403, 404]).toContain((await upload(stranger, id, "hi", "text/plain")).status);

    const text = await upload(a, id, "plain words", "text/plain", "notes.txt");
    expect(text.status).toBe(201);
    const ownId = text.body.attachment.id as string;
    // Not sent yet: only its uploader may fetch it or send it.
    expect((await download(b, id, ownId)).status).toBe(404);
    const byOther = await api("POST", `/v1/conversations/${id}/messages`, b.token, { client_msg_id: "steal", body: "mine now", attachments: [ownId] });
    expect(byOther.body.code).toBe("bad_request");
    const mine = await download(a, id, ownId);
    expect(mine.status).toBe(200);
    expect(mine.headers.get("content-disposition")).toMatch(/^attachment;/);
    expect(mine.headers.get("content-security-policy")).toContain("sandbox");
    expect((await download(stranger, id, ownId)).status).not.toBe(200);
  });

  it("files go when their message is deleted, and uploads never sent are cleaned up", async () => {
    const a = await login();
    const b = await login();
    const id = await createGroup(a, [b]);
    const sentFile = (await upload(a, id, "keep me", "text/plain")).body.attachment.id as string;
    const unsent = (await upload(a, id, "forget me", "text/plain")).body.attachment.id as string;
    const msg = await api("POST", `/v1/conversations/${id}/messages`, a.token, { client_msg_id: "f", body: "file", attachments: [sentFile] });
    expect((await objects(id)).sort()).toEqual([`conversations/${id}/${sentFile}`, `conversations/${id}/${unsent}`].sort());

    expect((await api("DELETE", `/v1/conversations/${id}/messages/${msg.body.seq}`, a.token)).status).toBe(200);
    const stub = env.CONVERSATION.get(env.CONVERSATION.idFromName(id));
    // The deletion set the alarm for now; it may already be running: run it if not, then wait for its result.
    await runDurableObjectAlarm(stub);
    await eventually(async () => expect(await objects(id)).toEqual([`conversations/${id}/${unsent}`]));
    expect((await download(b, id, sentFile)).status).toBe(404);

    // A day later the upload that was never sent goes too.
    await runInDurableObject(stub, (_i, state) => {
      state.storage.sql.exec("UPDATE attachments SET due_at = 0 WHERE id = ?", unsent);
    });
    await runDurableObjectAlarm(stub);
    await eventually(async () => expect(await objects(id)).toEqual([]));
  });
});
