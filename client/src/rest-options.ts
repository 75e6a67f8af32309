/** The options of `ParleyApi`'s calls, part of the package's public types (exported from ./index.ts through ./rest.ts). */

export interface HistoryOptions {
  /** Only messages with `seq` below this (pages backward). */
  beforeSeq?: number;
  /** Only messages with `seq` above this (pages forward). */
  afterSeq?: number;
  /** 1–1000, default 100. */
  limit?: number;
}

/** Options of `api.send`: the idempotency key (a fresh UUID when left out), a reply, attachments. */
export interface RestSendOptions {
  clientMsgId?: string;
  replyToSeq?: number;
  attachments?: string[];
}

/** Options of a page of the conversation list, of the member list, of a user search. */
export interface PageOptions {
  limit?: number;
  cursor?: string;
}

/** Options of a long-poll. */
export interface PollOptions {
  /** How long the server may hold the request when nothing is newer, 0–30 000 ms (default 25 000). */
  timeoutMs?: number;
  /** Aborts the poll. */
  signal?: AbortSignal;
}

/** Options of a search in one conversation. */
export interface SearchOptions {
  /** Results per page, 1–50 (default 20). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}
