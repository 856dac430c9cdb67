/**
 * The `rq` binary: runs the command line on this process's arguments,
 * environment and standard streams; Ctrl-C ends `wait` and `tail` cleanly.
 */
import { readFileSync } from "node:fs";
import { text } from "node:stream/consumers";
import { run } from "./run.js";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  version: string;
};
const stop = new AbortController();
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  out: {
    json: false,
    write: (chunk) => void process.stdout.write(chunk),
    writeError: (chunk) => void process.stderr.write(chunk),
  },
  readStdin: () => text(process.stdin),
  signal: stop.signal,
  version,
});
