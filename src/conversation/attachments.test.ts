import { describe, expect, it } from "vitest";
import { imageSize } from "./attachments.ts";

/** A 1×1… PNG header with the given size (signature, IHDR length, type, width, height). */
function png(width: number, height: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, width);
  new DataView(b.buffer).setUint32(20, height);
  return b;
}

describe("imageSize", () => {
  it("reads PNG, GIF, JPEG and WebP headers", () => {
    expect(imageSize(png(640, 480), "image/png")).toEqual({ width: 640, height: 480 });
    const gif = new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x20, 0x03, 0x58, 0x02]);
    expect(imageSize(gif, "image/gif")).toEqual({ width: 800, height: 600 });
    // SOI, an APP0 segment of 4 bytes, then SOF0: length, precision, height 300, width 400.
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0x00, 0x00, 0xff, 0xc0, 0x00, 0x11, 0x08, 0x01, 0x2c, 0x01, 0x90, 0x03]);
    expect(imageSize(jpeg, "image/jpeg")).toEqual({ width: 400, height: 300 });
    const webp = new Uint8Array(30);
    webp.set([...new TextEncoder().encode("RIFF"), 0, 0, 0, 0, ...new TextEncoder().encode("WEBPVP8X")]);
    webp.set([99, 0, 0, 49, 0, 0], 24);
    expect(imageSize(webp, "image/webp")).toEqual({ width: 100, height: 50 });
  });

  it("gives no size for a file that only claims to be an image, or a truncated one", () => {
    expect(imageSize(new TextEncoder().encode("<svg onload=alert(1)>"), "image/png")).toBeUndefined();
    expect(imageSize(png(1, 1).subarray(0, 20), "image/png")).toBeUndefined();
    expect(imageSize(png(0, 10), "image/png")).toBeUndefined();
    expect(imageSize(new Uint8Array([0xff, 0xd8, 0x00]), "image/jpeg")).toBeUndefined();
    expect(imageSize(png(10, 10), "application/pdf")).toBeUndefined();
  });
});
