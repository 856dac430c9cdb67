import { describe, expect, it } from "vitest";
import { searchParams } from "./search-query.js";

describe("search box", () => {
  it("turns qualifiers, fields and words into /v1/search parameters", () => {
    expect(
      searchParams(
        'state:failed type:email.send payload.user.plan:pro result.ok=false timeout "connection refused"',
        "default",
      ),
    ).toEqual({
      queue: "default",
      state: "failed",
      type: "email.send",
      "payload.user.plan": "pro",
      "result.ok": "false",
      error: 'timeout "connection refused"',
    });
  });

  it("keeps a quoted JSON string for a field, and lets the text name the queue", () => {
    expect(searchParams('queue:emails payload.code:"4242"', "default")).toEqual({
      queue: "emails",
      "payload.code": '"4242"',
    });
    expect(searchParams("  ", "q1")).toEqual({ queue: "q1" });
    expect(searchParams("weird:thing", "q1")).toEqual({ queue: "q1", error: "weird:thing" });
  });
});
