/** Timer handles differ by runtime (a number in browsers and workerd, an object in Node). */
export type Timer = ReturnType<typeof setTimeout>;
export type Interval = ReturnType<typeof setInterval>;

/** clearTimeout that accepts "no timer" in every runtime's typings. */
export function cancelTimeout(timer: Timer | undefined): void {
  if (timer !== undefined) clearTimeout(timer);
}

export function cancelInterval(timer: Interval | undefined): void {
  if (timer !== undefined) clearInterval(timer);
}
