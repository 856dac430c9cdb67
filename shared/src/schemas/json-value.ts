/**
 * Checks that a value survives a JSON round trip unchanged (no functions, BigInt,
 * NaN, Infinity, undefined in arrays, Dates or class instances), so what a worker
 * reads back is exactly what the producer sent.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** Returns a description of the first non-JSON part of `value`, or undefined if it is plain JSON. */
export function findNonJson(value: unknown, maxDepth: number, path = ""): string | undefined {
  if (maxDepth < 0) return `${path || "value"} is nested too deeply`;
  if (value === null || typeof value === "string" || typeof value === "boolean") return undefined;
  if (typeof value === "number")
    return Number.isFinite(value) ? undefined : `${path || "value"} is not a finite number`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = findNonJson(value[i], maxDepth - 1, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `${path || "value"} is not a plain object`;
    for (const [key, child] of Object.entries(value)) {
      const problem = findNonJson(child, maxDepth - 1, path ? `${path}.${key}` : key);
      if (problem) return problem;
    }
    return undefined;
  }
  return `${path || "value"} has type ${typeof value}, which JSON cannot carry`;
}

/** Byte length of a string as UTF-8, without allocating a Buffer. */
export function utf8Length(text: string): number {
  return Buffer.byteLength(text, "utf8");
}
