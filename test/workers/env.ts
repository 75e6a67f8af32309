// Types the `env` of `cloudflare:test` with the Worker's bindings.
import type { Env as ParleyEnv } from "../../src/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends ParleyEnv {}
  }
}
