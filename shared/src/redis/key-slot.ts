/**
 * The Redis Cluster hash slot of a key (CRC16/XMODEM of its hash tag, mod 16384),
 * computed locally so callers can tell which node serves a queue without a round
 * trip to a node that may be the one not answering.
 */
import { Cluster } from "ioredis";
import type { RedisClient } from "../scripts/load-scripts.js";

const SLOTS = 16_384;

const TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

/** The part of the key that is hashed: the first non-empty `{…}`, else the whole key. */
function hashTag(key: Buffer): Buffer {
  const open = key.indexOf(0x7b);
  if (open === -1) return key;
  const close = key.indexOf(0x7d, open + 1);
  return close > open + 1 ? key.subarray(open + 1, close) : key;
}

export function keySlot(key: string): number {
  let crc = 0;
  for (const byte of hashTag(Buffer.from(key, "utf8"))) {
    crc = ((crc << 8) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
  }
  return crc % SLOTS;
}

/**
 * The master serving `key` as this client last learned it (`host:port`, or
 * `slot N` before it knows); null on standalone Redis, where one server serves all.
 */
export function nodeServing(redis: RedisClient, key: string): string | null {
  if (!(redis instanceof Cluster)) return null;
  const slot = keySlot(key);
  return redis.slots[slot]?.[0] ?? `slot ${slot}`;
}
