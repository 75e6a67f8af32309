/**
 * Runs in every file of the workers project. Actors log a line when a socket
 * closes (`socket.closed`), which can happen just after a file's last test
 * closed its clients; Vitest then tears the file down while that log is still
 * on its way and reports an unhandled error. Let such lines land first.
 */
import { afterAll } from "vitest";

afterAll(async () => {
  await new Promise((resolve) => setTimeout(resolve, 250));
});
