/**
 * Checks that a value survives a JSON round trip unchanged (no functions, BigInt,
 * NaN, Infinity, undefined in arrays, Dates or class instances), so what a worker
 * reads back is exactly what the producer sent. Strings must be well-formed
 * Unicode: Redis's cjson and PostgreSQL refuse lone surrogates.
 */
import { hasLoneSurrogate } from "./unicode.js";

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonCheckOptions {
  /** Accept lone surrogates (for values that are made well-formed before they are encoded). */
  allowLoneSurrogates?: boolean;
}

/** Returns a description of the first non-JSON part of `value`, or undefined if it is plain JSON. */
export function findNonJson(
  value: unknown,
  maxDepth: number,
  options: JsonCheckOptions = {},
): string | undefined {
  return check(value, maxDepth, "", options.allowLoneSurrogates !== true);
}

function check(value: unknown, maxDepth: number, path: string, strictUnicode: boolean): string | undefined {
  if (maxDepth < 0) return `${path || "value"} is nested too deeply`;
  if (typeof value === "string") {
    return strictUnicode && hasLoneSurrogate(value)
      ? `${path || "value"} is not well-formed Unicode (it holds a lone surrogate)`
      : undefined;
  }
  if (value === null || typeof value === "boolean") return undefined;
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : `${path || "value"} is not a finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = check(value[i], maxDepth - 1, `${path}[${i}]`, strictUnicode);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path || "value"} is not a plain object`;
    for (const [key, child] of Object.entries(value)) {
      if (strictUnicode && hasLoneSurrogate(key))
        return `${path || "value"} has a key that is not well-formed Unicode`;
      const problem = check(child, maxDepth - 1, path ? `${path}.${key}` : key, strictUnicode);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${path || "value"} has type ${typeof value}, which JSON cannot carry`;
}

const nativeByteLength = (globalThis as { Buffer?: { byteLength(text: string, encoding: "utf8"): number } })
  .Buffer?.byteLength;

/**
 * Byte length of a string as UTF-8, without allocating: Node's native count where
 * there is one, a count of code units elsewhere (the browser's copy of the schemas).
 * A lone surrogate counts 3 bytes, as its replacement character encodes.
 */
export function utf8Length(text: string): number {
  if (nativeByteLength) return nativeByteLength(text, "utf8");
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
