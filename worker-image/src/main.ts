#!/usr/bin/env node
/**
 * `rqueue-worker`: the worker image's entry point. Reads and validates the
 * configuration (exit 1 with every problem named), then runs one worker, or
 * with `--autoscale` the supervisor of 1–10 worker processes, or with
 * `--healthcheck` answers the container's HEALTHCHECK from the health file.
 */
import { parseConfig } from "./config.js";
import { isHealthy } from "./heartbeat.js";
import { runWorker } from "./launcher.js";
import { runSupervisor } from "./supervisor.js";

const USAGE = "usage: rqueue-worker [--autoscale | --healthcheck]";

const args = process.argv.slice(2);
const mode = args[0];
if (args.length > 1 || (mode !== undefined && mode !== "--autoscale" && mode !== "--healthcheck")) {
  process.stderr.write(`rqueue-worker: unknown arguments: ${args.join(" ")}\n${USAGE}\n`);
  process.exit(1);
}

const parsed = parseConfig(process.env);
if (!parsed.ok) {
  process.stderr.write(
    `rqueue-worker: invalid configuration:\n${parsed.errors.map((error) => `  ${error}`).join("\n")}\n`,
  );
  process.exit(1);
}
const { config } = parsed;

if (mode === "--healthcheck") {
  // Three missed heartbeats: the same rule the registry uses for `stale`.
  process.exit(isHealthy(config.healthFile, config.heartbeatMs * 3) ? 0 : 1);
} else if (mode === "--autoscale") {
  await runSupervisor(config);
} else {
  await runWorker(config);
}
