/** An integer within bounds, with the messages every schema of the contract uses. */
import * as v from "valibot";

export const integerIn = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
