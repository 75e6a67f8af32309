/**
 * Which Reports actor keeps a reporter's reports (decision 0016): a fixed set
 * of shards, chosen by a hash of the reporter's user id. All of one
 * reporter's reports land in one shard, so "one open report per reporter and
 * target" is a unique index inside one actor; reporters spread over the
 * shards, so no single actor takes every report (a mass-reporting campaign
 * from many accounts included), and a review tool finds every report by
 * reading the REPORT_SHARDS actors named by `reportShardNames`.
 *
 * Changing REPORT_SHARDS moves reporters to other shards (their open reports
 * stay behind): it needs a migration, not an edit.
 */
export const REPORT_SHARDS = 16;

/** The name of the Reports actor that keeps `reporterId`'s reports. */
export function reportShard(reporterId: string): string {
  return `reports-${fnv1a(reporterId) % REPORT_SHARDS}`;
}

/** Every shard's name, for a review tool. */
export function reportShardNames(): string[] {
  return Array.from({ length: REPORT_SHARDS }, (_, i) => `reports-${i}`);
}

/** 32-bit FNV-1a over UTF-16 code units: stable, and spread well enough for ids that are random already. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
