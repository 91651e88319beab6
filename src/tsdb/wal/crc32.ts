import * as zlib from "node:zlib";

let table: Uint32Array | undefined;

function tableCrc32(data: Uint8Array, value: number): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  const t = table;
  let c = ~value;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * The CRC-32 (IEEE 802.3, as zlib and gzip) of `data`, continuing from `value` (the CRC of the bytes
 * before it; 0 to start). Uses `zlib.crc32` where Node has it (20.15+, 22.2+), a table otherwise.
 * @example crc32(new TextEncoder().encode("123456789")) === 0xcbf43926
 */
export const crc32: (data: Uint8Array, value?: number) => number =
  native !== undefined
    ? (data, value = 0) => native(data, value)
    : (data, value = 0) => tableCrc32(data, value);

/** @internal The table-driven implementation, exported so tests can compare it with zlib's. */
export const crc32Table: (data: Uint8Array, value?: number) => number = (data, value = 0) =>
  tableCrc32(data, value);
