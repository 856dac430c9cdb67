/** `echo`: returns its payload as the job's result. */
import * as v from "valibot";
import { defineHandler } from "../handler-definition.js";

export default defineHandler({
  type: "echo",
  payload: v.unknown(),
  handle: (job) => job.payload,
});
