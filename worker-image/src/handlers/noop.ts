/** `noop`: does nothing; measures the queue's own overhead per job. */
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "noop",
  payload: v.object({}),
  handle: () => undefined,
});
