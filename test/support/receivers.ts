/**
 * Fake external services for end-to-end tests of integrations (§22.14–§22.16):
 * one HTTP server on 127.0.0.1 (a free port chosen by the OS), started and
 * stopped by the test, that records every request and answers with what the
 * test's handler says — a bot's webhook, an app backend's webhook receiver,
 * a push service. `decryptPush` reads a web push body with Node's own crypto
 * (not the engine's code), as a browser would.
 *
 * To extend: add a route in the test's handler, not a new server.
 */
import { createECDH, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";

export interface Received {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  at: number;
}

export type Answer = { status: number; body?: string; type?: string };

export class FakeReceiver {
  readonly requests: Received[] = [];
  #server: Server | undefined;
  #handler: (r: Received) => Answer | Promise<Answer> = () => ({ status: 200 });
  port = 0;

  static async start(): Promise<FakeReceiver> {
    const r = new FakeReceiver();
    r.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", async () => {
        const got: Received = { path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks), at: Date.now() };
        r.requests.push(got);
        const answer = await r.#handler(got);
        res.writeHead(answer.status, { "content-type": answer.type ?? "text/plain" });
        res.end(answer.body ?? "");
      });
    });
    await new Promise<void>((resolve) => r.#server!.listen(0, "127.0.0.1", resolve));
    const address = r.#server.address();
    r.port = typeof address === "object" && address ? address.port : 0;
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  handle(handler: (r: Received) => Answer | Promise<Answer>): void {
    this.#handler = handler;
  }

  on(prefix: string): Received[] {
    return this.requests.filter((r) => r.path.startsWith(prefix));
  }

  /** Waits until `count` requests have come to paths starting with `prefix`. */
  async waitFor(prefix: string, count: number, timeoutMs = 30_000): Promise<Received[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.on(prefix).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.on(prefix).length} of ${count} requests to ${prefix} arrived`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.on(prefix);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

/** A browser's push subscription keys: P-256 key pair and a 16-byte auth secret. */
export function subscriptionKeys(): { ecdh: ReturnType<typeof createECDH>; p256dh: string; auth: Buffer } {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { ecdh, p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16) };
}

/** Decrypts an `aes128gcm` web push body (RFC 8291, RFC 8188) with the subscription's keys. */
export function decryptPush(body: Buffer, keys: { ecdh: ReturnType<typeof createECDH>; auth: Buffer }): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const serverPublic = body.subarray(21, 21 + idlen);
  const sealed = body.subarray(21 + idlen);
  const secret = keys.ecdh.computeSecret(serverPublic);
  const ikm = Buffer.from(hkdfSync("sha256", secret, keys.auth, Buffer.concat([Buffer.from("WebPush: info\0"), keys.ecdh.getPublicKey(), serverPublic]), 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: aes128gcm\0"), 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, Buffer.from("Content-Encoding: nonce\0"), 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  const padded = Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]);
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error("bad record delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/** The verification snippet of docs/integrations.md §1, verbatim: the e2e test checks every webhook with it. */
export function verifyParley(secret: string, rawBody: string, header: unknown, nowMs = Date.now()): boolean {
  const parts = Object.fromEntries(String(header).split(",").map((p) => p.split("=", 2))) as Record<string, string | undefined>;
  const t = Number(parts.t);
  if (!Number.isSafeInteger(t) || Math.abs(nowMs / 1000 - t) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
