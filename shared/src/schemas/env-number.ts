/**
 * A whole number read from an environment variable, with its bounds and the
 * default taken when the variable is unset: the worker's and the blob store's
 * settings parse every number with it, and name the range in the one message.
 */
import * as v from "valibot";

export const envWholeNumber = (fallback: number, min: number, max: number) => {
  const message = `must be a whole number from ${min} to ${max}`;
  return v.pipe(
    v.optional(v.string(), String(fallback)),
    v.trim(),
    v.regex(/^\d+$/, message),
    v.transform(Number),
    v.minValue(min, message),
    v.maxValue(max, message),
  );
};
