import { z } from "zod";

/**
 * Text that other people see as a name: display names (`PATCH /v1/me`) and
 * group titles (`POST /v1/conversations`, `PATCH /v1/conversations/{id}`).
 * One refinement for all of them, so a rule about what a name may contain
 * is written once. Message bodies are not names: they keep their own rules
 * (frames.ts `Body`).
 */

/** A UTF-16 surrogate without its pair: not Unicode, and stored corrupted (as U+FFFD) by SQLite's UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** C0, DEL and C1 controls, and the line and paragraph separators: they break every client's layout. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
/**
 * Bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069): they reorder the text around a name, so "Bob" could be
 * shown where the name is another, or a title reverse what follows it.
 */
const BIDI_CONTROL = /\p{Bidi_Control}/u;
/**
 * What renders as nothing on its own: white space, default-ignorable code
 * points (zero-width spaces and joiners, word joiner, variation selectors,
 * tag characters, Hangul fillers, soft hyphen), other format characters,
 * combining marks with no base, and the Braille blank. Allowed inside a name
 * (a ZWJ emoji sequence needs them), not as all of it.
 */
const ONLY_INVISIBLE = /^[\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Cf}\p{M}\u2800]+$/u;

/** Code points, not UTF-16 units, so an emoji counts as one character. */
function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * A name people see: trimmed, then 1 to `maxChars` code points, well-formed
 * Unicode, no control or bidirectional formatting characters, and at least
 * one visible character. `empty` is the message for an empty value.
 */
export function displayText(maxChars: number, empty: string) {
  return z
    .string()
    .trim()
    .refine((s) => s.length > 0, empty)
    .refine((s) => !LONE_SURROGATE.test(s), "must be well-formed Unicode (it has a lone surrogate)")
    .refine((s) => !CONTROL.test(s), "must not contain control characters")
    .refine((s) => !BIDI_CONTROL.test(s), "must not contain bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)")
    .refine((s) => !ONLY_INVISIBLE.test(s), "must contain a visible character (not only invisible ones such as zero-width spaces)")
    // Code points never outnumber UTF-16 units: only a long string needs counting.
    .refine((s) => s.length <= maxChars || codePoints(s) <= maxChars, `must be at most ${maxChars} characters`);
}
