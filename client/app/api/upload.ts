/**
 * Uploads a file to a conversation with progress: the SDK's `api.upload`
 * uses fetch, which reports no upload progress, so the app sends it with
 * XMLHttpRequest (same route, `POST /v1/conversations/{id}/attachments`,
 * docs/protocol.md §22.8). Could move into the SDK as an `onProgress` option.
 */
import { ParleyError } from "../../src/index.ts";
import type { Attachment } from "../../../src/protocol/index.ts";
import { currentToken } from "./http.ts";

export function uploadWithProgress(conversationId: string, file: Blob, name: string, onProgress: (fraction: number) => void): { done: Promise<Attachment>; abort: () => void } {
  const xhr = new XMLHttpRequest();
  const done = new Promise<Attachment>((resolve, reject) => {
    xhr.open("POST", `/v1/conversations/${encodeURIComponent(conversationId)}/attachments?${new URLSearchParams({ name })}`);
    const token = currentToken();
    if (token) xhr.setRequestHeader("authorization", `Bearer ${token}`);
    xhr.setRequestHeader("content-type", file.type || "application/octet-stream");
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const body = xhr.response as { attachment?: Attachment; code?: ParleyError["code"]; message?: string } | null;
      if (xhr.status >= 200 && xhr.status < 300 && body?.attachment) {
        onProgress(1);
        resolve(body.attachment);
      } else {
        reject(new ParleyError(body?.code ?? "internal", body?.message ?? `The upload failed (HTTP ${xhr.status}).`));
      }
    };
    xhr.onerror = () => reject(new ParleyError("internal", "The upload failed: no connection."));
    xhr.onabort = () => reject(new ParleyError("bad_request", "The upload was cancelled."));
    xhr.send(file);
  });
  return { done, abort: () => xhr.abort() };
}
