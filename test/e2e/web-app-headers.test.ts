/**
 * The web app is served with a Content-Security-Policy (client/app/_headers,
 * applied by Workers static assets), by the real engine under `wrangler dev`,
 * run the way `npm start` runs it: with the public development secret and
 * dev login on.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLIC_DEV_SECRET } from "../../src/auth/secret.ts";
import { Engine, ROOT } from "../support/engine.ts";
import { login } from "../support/e2e-helpers.ts";

let engine: Engine;

beforeAll(async () => {
  engine = await Engine.start({ vars: { AUTH_SECRET: PUBLIC_DEV_SECRET, DEV_LOGIN: "true" } });
});

afterAll(async () => {
  await engine?.stop();
});

/** The directives of a Content-Security-Policy header, by name. */
function directives(header: string | null): Map<string, string> {
  return new Map((header ?? "").split(";").map((d) => d.trim()).filter(Boolean).map((d) => {
    const [name, ...values] = d.split(/\s+/);
    return [name!, values.join(" ")];
  }));
}

describe("the web app's headers", () => {
  it("/ and the app's files carry a Content-Security-Policy that allows only the app's own origin", async () => {
    for (const path of ["/", "/app.js", "/styles.css"]) {
      const res = await fetch(`${engine.url}${path}`);
      expect(res.status, path).toBe(200);
      const csp = directives(res.headers.get("content-security-policy"));
      expect(csp.get("default-src"), path).toBe("'none'");
      expect(csp.get("script-src"), path).toBe("'self'");
      expect(csp.get("style-src"), path).toBe("'self'");
      expect(csp.get("connect-src"), path).toBe("'self'");
      expect(csp.get("frame-ancestors"), path).toBe("'none'");
      expect(csp.get("base-uri"), path).toBe("'none'");
      expect(csp.get("object-src"), path).toBe("'none'");
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      await res.arrayBuffer();
    }
    const page = await (await fetch(`${engine.url}/`)).text();
    // Nothing inline for the policy to have to allow.
    expect(page).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page).not.toMatch(/\sstyle=/);
    expect(page).not.toMatch(/\son[a-z]+=/);
  });

  it("the headers file itself is not served", async () => {
    const res = await fetch(`${engine.url}/_headers`);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain("Content-Security-Policy");
  });
});

describe("the npm start secret", () => {
  it("is the public development secret, and works there because dev login is on", async () => {
    const start = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start as string;
    expect(start).toContain(`--var AUTH_SECRET:${PUBLIC_DEV_SECRET} `);
    expect(start).toContain("--var DEV_LOGIN:true");
    const alice = await login(engine.url);
    const me = await fetch(`${engine.url}/v1/me`, { headers: { authorization: `Bearer ${alice.token}` } });
    expect(me.status).toBe(200);
  });
});
