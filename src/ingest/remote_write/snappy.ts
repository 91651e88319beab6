import { uncompressSync } from "snappy";
import { RemoteWriteError } from "./errors.js";

/** The default cap on a decoded remote-write body: 64 MiB. */
export const DEFAULT_MAX_DECODED_BYTES = 64 * 1024 * 1024;

/**
 * Reads the uncompressed length a snappy block declares in its header (a uvarint of at most 32
 * bits), without decompressing anything. Throws {@link RemoteWriteError} (400) on a bad header.
 */
export function snappyDecodedLength(block: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) throw new RemoteWriteError(400, "snappy: corrupt input: truncated length header");
    const b = block[i]!;
    n += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) {
      if (n > 0xffffffff) break;
      return n;
    }
  }
  throw new RemoteWriteError(400, "snappy: corrupt input: invalid length header");
}

/**
 * Decompresses a snappy block (the raw block format remote write uses, not the framed stream).
 * The declared length is checked against `maxBytes` before any work, so a small body cannot make
 * the receiver allocate a huge buffer: over the limit gives a 413 {@link RemoteWriteError}; corrupt
 * data gives a 400.
 */
export function decompressSnappyBlock(block: Uint8Array, maxBytes = DEFAULT_MAX_DECODED_BYTES): Buffer {
  const declared = snappyDecodedLength(block);
  if (declared > maxBytes) {
    throw new RemoteWriteError(
      413,
      `snappy: decoded body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`,
    );
  }
  let out: Buffer;
  try {
    out = uncompressSync(block, { asBuffer: true }) as Buffer;
  } catch (err) {
    throw new RemoteWriteError(400, `snappy: ${(err as Error).message.replace(/^snappy: /, "")}`, {
      cause: err,
    });
  }
  if (out.length !== declared) {
    throw new RemoteWriteError(
      400,
      `snappy: corrupt input: decoded ${out.length} bytes, header says ${declared}`,
    );
  }
  return out;
}
