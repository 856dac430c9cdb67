import { describe, expect, it } from "vitest";
import { commandMicros, mainThreadCpuSeconds, parseCommandStats, parseInfo } from "./redis-info.js";

const sample = [
  "# Commandstats",
  "cmdstat_set:calls=1000,usec=665,usec_per_call=0.67,rejected_calls=0,failed_calls=0",
  "cmdstat_evalsha:calls=2,usec=6173,usec_per_call=3086.50,rejected_calls=0,failed_calls=0",
  "cmdstat_bzpopmin:calls=4,usec=20,usec_per_call=5.00,rejected_calls=0,failed_calls=0",
  "cmdstat_config|resetstat:calls=1,usec=70,usec_per_call=70.00,rejected_calls=0,failed_calls=0",
  "",
  "# CPU",
  "used_cpu_sys_main_thread:0.25",
  "used_cpu_user_main_thread:0.5",
].join("\r\n");

describe("INFO parsing", () => {
  it("reads fields and command stats", () => {
    const info = parseInfo(sample);
    expect(info.used_cpu_sys_main_thread).toBe("0.25");
    expect(parseCommandStats(info).evalsha).toEqual({ calls: 2, usec: 6173 });
    expect(parseCommandStats(info)["config|resetstat"]).toEqual({ calls: 1, usec: 70 });
  });

  it("counts script time once: the SETs a script ran are inside its EVALSHA", () => {
    expect(commandMicros(parseCommandStats(parseInfo(sample)))).toBe(6173 + 20);
  });

  it("adds the main thread's user and system CPU", () => {
    expect(mainThreadCpuSeconds(parseInfo(sample))).toBeCloseTo(0.75);
  });
});
