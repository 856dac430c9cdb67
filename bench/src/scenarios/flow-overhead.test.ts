import { describe, expect, it } from "vitest";
import { addedCommands } from "./flow-overhead.js";

describe("addedCommands", () => {
  it("lists the commands per call that changed, largest change first, ignoring noise under 0.05", () => {
    const before = { hmget: 50, zadd: 2, exists: 1, hset: 100.02 };
    const after = { hmget: 50, zadd: 1, exists: 4, hset: 100, zrange: 0.5 };
    expect(addedCommands(before, after)).toEqual([
      ["exists", 3],
      ["zadd", -1],
      ["zrange", 0.5],
    ]);
  });
});
