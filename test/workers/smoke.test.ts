import { describe, expect, it } from "vitest";
import { createDirect, joined, login } from "./helpers.ts";

describe("smoke", () => {
  it("sends one message between two clients", async () => {
    const a = await login();
    const b = await login();
    const id = await createDirect(a, b);
    const ca = await joined(a, id);
    const cb = await joined(b, id);
    const ack = await ca.client.request("message.send", { client_msg_id: "k1", body: "hi" });
    expect(ack.type).toBe("message.ack");
    expect(ack.data.seq).toBe(1);
    const got = await cb.client.next("message.new");
    expect(got.data.message.body).toBe("hi");
    expect(ca.client.violations).toEqual([]);
  });
});
