/**
 * Files of a conversation (protocol v1.1). The bytes live in the R2 bucket
 * `FILES` under `conversations/{conversation_id}/{attachment_id}`; this
 * actor keeps, in its SQLite storage, what each file is and where it is in
 * its life:
 *
 *   reserved ──(bytes stored)──▶ ready ──(a message carries it)──▶ attached
 *      │                           │                                  │
 *      └── not stored in time ─────┴── not attached in time ── message deleted
 *                                  ▼
 *                               doomed ──(alarm deletes the object)──▶ gone
 *
 * An upload is reserved before its bytes go to R2 and marked ready after,
 * so the actor always knows of every object that may exist, and the alarm
 * removes every one that no message carries: nothing is left behind by an
 * upload never attached or a message deleted.
 */
import { ParleyError, type Attachment } from "../protocol/index.ts";
import { randomId } from "../shared/ids.ts";

/** How long a reservation waits for its bytes, and a ready upload for a message. */
export const RESERVED_TTL_MS = 10 * 60_000;
export const READY_TTL_MS = 24 * 60 * 60_000;
/** Objects deleted per alarm run. */
const DELETE_BATCH = 100;

interface Row {
  id: string;
  uploader: string;
  name: string;
  content_type: string;
  size: number;
  width: number | null;
  height: number | null;
  state: "reserved" | "ready" | "attached" | "doomed";
  seq: number | null;
  [key: string]: SqlStorageValue;
}

/** Types served inline (their bytes cannot carry script); everything else is a download. */
export const INLINE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

export function objectKey(conversationId: string, attachmentId: string): string {
  return `conversations/${conversationId}/${attachmentId}`;
}

export class AttachmentStore {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /** Reserves an upload: its id, before any byte is stored. */
  reserve(uploader: string, name: string, contentType: string, now: number): string {
    const id = randomId("a_", 20);
    this.#sql.exec(
      "INSERT INTO attachments (id, uploader, name, content_type, state, created_at, due_at) VALUES (?, ?, ?, ?, 'reserved', ?, ?)",
      id, uploader, name, contentType, now, now + RESERVED_TTL_MS,
    );
    return id;
  }

  /** The bytes are stored: the upload may be attached (until READY_TTL_MS). */
  ready(uploader: string, id: string, size: number, width: number | undefined, height: number | undefined, now: number): Attachment {
    const row = this.#row(id);
    if (!row || row.uploader !== uploader || row.state !== "reserved") throw new ParleyError("not_found", "No such upload.");
    this.#sql.exec(
      "UPDATE attachments SET state = 'ready', size = ?, width = ?, height = ?, due_at = ? WHERE id = ?",
      size, width ?? null, height ?? null, now + READY_TTL_MS, id,
    );
    return toAttachment({ ...row, size, width: width ?? null, height: height ?? null });
  }

  /** The uploads a message may carry: ready, by its sender; refuses anything else, naming it. */
  claimable(ids: readonly string[], sender: string): Attachment[] {
    if (new Set(ids).size !== ids.length) throw new ParleyError("bad_request", "data.attachments: an attachment is listed twice.");
    return ids.map((id) => {
      const row = this.#row(id);
      if (!row || row.uploader !== sender || row.state !== "ready") {
        throw new ParleyError("bad_request", `data.attachments: ${id} is not an upload of yours waiting to be sent.`);
      }
      return toAttachment(row);
    });
  }

  /** A message carries them (inside the send's transaction). */
  attach(ids: readonly string[], seq: number): void {
    for (const id of ids) this.#sql.exec("UPDATE attachments SET state = 'attached', seq = ? WHERE id = ?", seq, id);
  }

  /** Their message was deleted: the files go (inside the deletion's transaction). */
  doomMessage(seq: number, now: number): number {
    return this.#sql.exec("UPDATE attachments SET state = 'doomed', due_at = ? WHERE seq = ?", now, seq).rowsWritten;
  }

  /** What a member may download: an attached file, or their own upload not sent yet. */
  downloadable(id: string, userId: string): Row | undefined {
    const row = this.#row(id);
    if (!row) return undefined;
    if (row.state === "attached" || (row.state === "ready" && row.uploader === userId)) return row;
    return undefined;
  }

  /**
   * Expired reservations and uploads become doomed; doomed objects are
   * deleted from R2, then forgotten. Returns when it must run again, if it
   * must.
   */
  async sweep(bucket: R2Bucket, conversationId: string, now: number): Promise<number | undefined> {
    this.#sql.exec("UPDATE attachments SET state = 'doomed', due_at = ? WHERE state IN ('reserved', 'ready') AND due_at <= ?", now, now);
    const doomed = this.#sql
      .exec<{ id: string }>("SELECT id FROM attachments WHERE state = 'doomed' AND due_at <= ? LIMIT ?", now, DELETE_BATCH)
      .toArray()
      .map((r) => r.id);
    if (doomed.length > 0) {
      await bucket.delete(doomed.map((id) => objectKey(conversationId, id)));
      for (const id of doomed) this.#sql.exec("DELETE FROM attachments WHERE id = ? AND state = 'doomed'", id);
    }
    return this.nextDue();
  }

  /** When the next reservation, upload or doomed file falls due. */
  nextDue(): number | undefined {
    return this.#sql.exec<{ t: number | null }>("SELECT min(due_at) AS t FROM attachments WHERE state != 'attached'").one().t ?? undefined;
  }

  #row(id: string): Row | undefined {
    return this.#sql.exec<Row>("SELECT id, uploader, name, content_type, size, width, height, state, seq FROM attachments WHERE id = ?", id).toArray()[0];
  }
}

export function toAttachment(row: Pick<Row, "id" | "name" | "content_type" | "size" | "width" | "height">): Attachment {
  const a: Attachment = { id: row.id, name: row.name, content_type: row.content_type, size: row.size };
  if (row.width !== null && row.height !== null) {
    a.width = row.width;
    a.height = row.height;
  }
  return a;
}

/**
 * The pixel size of a PNG, GIF, JPEG or WebP image, read from its header;
 * undefined for anything it cannot read (a file that only claims to be an
 * image gets no size).
 */
export function imageSize(bytes: Uint8Array, contentType: string): { width: number; height: number } | undefined {
  const b = bytes;
  const u16be = (i: number) => (b[i]! << 8) | b[i + 1]!;
  const u16le = (i: number) => b[i]! | (b[i + 1]! << 8);
  const u32be = (i: number) => ((b[i]! << 24) >>> 0) + (b[i + 1]! << 16) + (b[i + 2]! << 8) + b[i + 3]!;
  const ok = (w: number, h: number) => (w > 0 && h > 0 ? { width: w, height: h } : undefined);
  switch (contentType) {
    case "image/png":
      // Signature, then the IHDR chunk: width and height, big-endian.
      if (b.length < 24 || b[0] !== 0x89 || b[1] !== 0x50 || b[12] !== 0x49 || b[13] !== 0x48) return undefined;
      return ok(u32be(16), u32be(20));
    case "image/gif":
      if (b.length < 10 || b[0] !== 0x47 || b[1] !== 0x49 || b[2] !== 0x46) return undefined;
      return ok(u16le(6), u16le(8));
    case "image/jpeg": {
      if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
      // Walk the segments to the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC).
      for (let i = 2; i + 9 < b.length; ) {
        if (b[i] !== 0xff) return undefined;
        const marker = b[i + 1]!;
        if (marker === 0xff) {
          i++;
          continue;
        }
        const length = u16be(i + 2);
        if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return ok(u16be(i + 7), u16be(i + 5));
        i += 2 + length;
      }
      return undefined;
    }
    case "image/webp": {
      if (b.length < 30 || String.fromCharCode(...b.subarray(0, 4)) !== "RIFF" || String.fromCharCode(...b.subarray(8, 12)) !== "WEBP") return undefined;
      const chunk = String.fromCharCode(...b.subarray(12, 16));
      if (chunk === "VP8 ") return ok(u16le(26) & 0x3fff, u16le(28) & 0x3fff);
      if (chunk === "VP8L") {
        const bits = b[21]! | (b[22]! << 8) | (b[23]! << 16) | (b[24]! << 24);
        return ok((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1);
      }
      if (chunk === "VP8X") return ok(1 + (b[24]! | (b[25]! << 8) | (b[26]! << 16)), 1 + (b[27]! | (b[28]! << 8) | (b[29]! << 16)));
      return undefined;
    }
    default:
      return undefined;
  }
}
