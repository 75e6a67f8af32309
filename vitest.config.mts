import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

/**
 * Four projects:
 * - workers: unit tests beside the code (src/**) and actor/Worker tests
 *   (test/workers/**), inside workerd through the Workers pool;
 * - client: the SDK's and the web app's pure units beside their code
 *   (client/src/**, client/app/**), in Node;
 * - e2e: the real engine started with `wrangler dev` on 127.0.0.1, driven by
 *   real WebSocket clients, from Node;
 * - browser: the SDK in Node and the web app in headless Chromium against the
 *   real engine (test/browser/**), one file after another.
 *
 * They run in three groups, one after another (`sequence.groupOrder`):
 * workers and client together, then e2e, then browser. On a 2-core machine
 * running them all at once gained little time and starved the engines that
 * e2e and browser tests start (a page load could take over 15 s).
 */
export default defineConfig({
  test: {
    // Actor logs (one JSON line per event) are shown only for failing tests.
    silent: "passed-only",
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                AUTH_SECRET: "test-secret-for-workerd-tests-only",
                DEV_LOGIN: "true",
                ALLOWED_ORIGINS: "https://app.example",
                HEARTBEAT_MS: "30000",
                MAX_GROUP_MEMBERS: "12",
                // Small enough that a test can use it up with a few dozen users.
                GROUP_ADD_RATE: "40/3600000",
                // The shipped typing budget (20 per socket), refilled so slowly that a test under load
                // cannot see a token come back while it spends them.
                TYPING_RATE: "20/600000",
                // Smaller than the shipped budgets, so that the tests that spend them stay short. History
                // refills one call per 12 s, so a test under load still sees the refusal it just earned.
                HISTORY_RATE: "50/600000",
                POLL_RATE: "50/60000",
                SEARCH_RATE: "30/60000",
                // A GitHub provider that answers nothing (the discard port): the workerd tests check the
                // redirects, state and cookies of OAuth; the flow against a fake provider is test/e2e/oauth.test.ts.
                GITHUB_CLIENT_ID: "workerd-test-client",
                GITHUB_CLIENT_SECRET: "workerd-test-secret",
                GITHUB_AUTHORIZE_URL: "https://github.test/login/oauth/authorize",
                GITHUB_TOKEN_URL: "http://127.0.0.1:9/token",
                GITHUB_USER_URL: "http://127.0.0.1:9/user",
                // The topics backend key of the tests; a contact hears "offline" 2 s after the last inbox socket closed.
                TOPICS_API_KEY: "test-topics-api-key-for-workerd-tests-only",
                PRESENCE_OFFLINE_DELAY_MS: "2000",
                // A topic's publish budget that a test can use up (30 events, then one back every 2 s).
                TOPIC_PUBLISH_RATE: "30/60000",
                // A tenth of the shipped replay budget, refilled so slowly that a test can spend it (events.test.ts).
                SYNC_BUDGET: "2000/600000",
                // Integrations (§22.14–§22.18): the operator the tests sign in as, and a small invite budget.
                OPERATORS: "operator_root",
                INVITE_RATE: "30/600000",
                WEBHOOK_ALLOW_LOOPBACK: "true",
              },
            },
          }),
        ],
        test: {
          name: "workers",
          include: ["src/**/*.test.ts", "test/workers/**/*.test.ts"],
          setupFiles: ["test/workers/setup.ts"],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "client",
          include: ["client/src/**/*.test.ts", "client/app/**/*.test.ts"],
          environment: "node",
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
      {
        test: {
          name: "browser",
          include: ["test/browser/**/*.test.ts"],
          environment: "node",
          testTimeout: 90_000,
          hookTimeout: 90_000,
          fileParallelism: false,
          sequence: { groupOrder: 2 },
          // One more try for a UI test that failed (decision 0036): a test that fails for a reason fails twice.
          // The protocol's guarantees are tested in workers and e2e, which never retry.
          retry: 1,
        },
      },
    ],
  },
});
