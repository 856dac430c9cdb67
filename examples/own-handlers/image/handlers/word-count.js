/**
 * `word-count` {text}: counts the words of a text. A handler module of the
 * image's handlers folder: its default export is the definition.
 */
import { defineHandler } from "@rqueue/worker/handler";
import * as v from "valibot";

export default defineHandler({
  type: "word-count",
  payload: v.object({ text: v.pipe(v.string(), v.maxLength(100_000)) }),
  handle(job) {
    const words = job.payload.text.split(/\s+/).filter(Boolean);
    return { words: words.length };
  },
});
