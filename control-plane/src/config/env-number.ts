/**
 * A whole number read from an environment variable, with its bounds and the
 * default taken when it is unset: the control plane's own settings (config.ts)
 * and the worker fleet's that it reads for scaling (worker-fleet.ts) parse
 * numbers with it, so both answer a bad value with the same messages.
 */
import * as v from "valibot";

export const int = (fallback: number, min: number, max: number) =>
  v.optional(
    v.pipe(
      v.string(),
      v.trim(),
      v.regex(/^\d+$/, "must be a whole number"),
      v.transform(Number),
      v.minValue(min, `must be at least ${min}`),
      v.maxValue(max, `must be at most ${max}`),
    ),
    String(fallback),
  );
