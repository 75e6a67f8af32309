import { z } from "zod";

/**
 * Numbers in a query string. A query value is text, and `Number()` (or
 * `z.coerce.number()`) reads far more than a number: `""` is 0, `0x10` is 16,
 * `1e3` is 1000, `" 7 "` is 7, `Infinity` passes a `min`. Every numeric query
 * parameter of every route reads its value through here instead: one or more
 * ASCII decimal digits and nothing else (no sign, point, exponent, prefix or
 * white space), then the route's own number rules. Anything else is
 * `400 bad_request` naming the parameter.
 */
const DIGITS = /^[0-9]+$/;

const DIGITS_ONLY = "must be a whole number written with the decimal digits 0–9 only";

/** Decimal digits only, then `schema` (the route's range) on the number they spell. */
export function queryNumber<T extends z.ZodType<number, number>>(schema: T) {
  return z
    .string({ error: (issue) => (issue.input === undefined ? "required" : DIGITS_ONLY) })
    .regex(DIGITS, DIGITS_ONLY)
    .transform(Number)
    .pipe(schema);
}
