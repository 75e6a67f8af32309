/**
 * The bench runs Parley from its own copy of wrangler.toml
 * (test/bench/floor/wrangler.toml, with the floor added). `npm run bench`
 * refuses to start when the copy lacks a var, a binding or a migration of
 * the shipped file; this test says so in `npm test` already, where a branch
 * that adds a setting learns it, rather than at the next bench run.
 */
import { describe, expect, it } from "vitest";
import { configDrift } from "../bench/wrangler-config.ts";

describe("the bench's wrangler config", () => {
  it("has every var, binding and migration of wrangler.toml", () => {
    expect(configDrift()).toEqual([]);
  });
});
