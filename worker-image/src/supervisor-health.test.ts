/**
 * The supervisor's health file vouches for every child: each child writes its own
 * file, and the one the container's HEALTHCHECK reads stays fresh only while all
 * children are healthy.
 */
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { sleep } from "../../shared/test/engine-fixture.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { isHealthy } from "./heartbeat.js";
import { Supervisor } from "./supervisor.js";
import { memoryLogger, testConfig } from "./testing/in-process.js";

/** Stands in for a worker process: the supervisor only needs its pid, kill() and exit. */
const scratch = scratchDirs();

function standInChild(): ChildProcess {
  const child = new EventEmitter() as ChildProcess;
  Object.assign(child, { pid: 4242, kill: () => child.emit("exit", 0, null) });
  return child;
}

describe("supervisor health", () => {
  it("stays healthy while every child beats, and turns unhealthy when one stops", async () => {
    const healthFile = join(scratch("rq-health-"), "worker.health");
    const config = testConfig(inject("redisUrl"), {
      RQ_HEALTH_FILE: healthFile,
      RQ_HEARTBEAT_MS: "50",
      RQ_AUTOSCALE_MIN: "2",
      RQ_AUTOSCALE_INTERVAL_MS: "60000",
    });
    const childFiles: string[] = [];
    const supervisor = new Supervisor({
      config,
      logger: memoryLogger(),
      spawnWorker: (file) => {
        childFiles.push(file);
        return standInChild();
      },
    });
    supervisor.start();
    try {
      expect(childFiles).toHaveLength(2);
      expect(new Set(childFiles).size).toBe(2);
      const beat = (file: string) => writeFileSync(file, String(Date.now()));
      for (let i = 0; i < 6; i++) {
        childFiles.forEach(beat);
        await sleep(50);
      }
      expect(isHealthy(healthFile, 150)).toBe(true);
      // The second child hangs: past its grace period, the supervisor stops vouching.
      for (let i = 0; i < 8; i++) {
        beat(childFiles[0] as string);
        await sleep(50);
      }
      expect(isHealthy(healthFile, 150)).toBe(false);
    } finally {
      await supervisor.stop();
    }
    expect(isHealthy(healthFile, 60_000)).toBe(false);
  });
});
