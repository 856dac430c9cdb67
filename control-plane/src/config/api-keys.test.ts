import { describe, expect, it } from "vitest";
import { ApiKeyStore, parseApiKeys, roleAllows } from "./api-keys.js";

describe("parseApiKeys", () => {
  it("parses name:secret:role entries, secrets may contain colons", () => {
    const { keys, problems } = parseApiKeys("ops:s3cr3t-value-long:admin, ci:a:b:c-long-enough-x:submit");
    expect(problems).toEqual([]);
    expect(keys.map(({ name, role }) => ({ name, role }))).toEqual([
      { name: "ops", role: "admin" },
      { name: "ci", role: "submit" },
    ]);
    const store = new ApiKeyStore(keys);
    expect(store.authenticate("a:b:c-long-enough-x")).toEqual({ name: "ci", role: "submit" });
  });

  it("reports malformed entries without echoing secrets", () => {
    const { problems } = parseApiKeys("nocolons,x:topsecret:root,:nameless:read,y::read");
    expect(problems).toHaveLength(4);
    expect(problems.join(" ")).not.toContain("topsecret");
    expect(problems[1]).toContain("role must be one of");
  });

  it("rejects duplicate names and shared secrets, warns on short secrets", () => {
    const parsed = parseApiKeys("a:same-secret:read,a:other-secret:read,b:same-secret:admin");
    expect(parsed.problems).toEqual([
      "RQ_API_KEYS entry 2: name a is used twice",
      "RQ_API_KEYS entry 3 (b): secret is shared with another key",
    ]);
    expect(parsed.warnings.length).toBe(3);
  });

  it("treats an empty setting as no keys (open mode)", () => {
    expect(new ApiKeyStore(parseApiKeys("").keys).open).toBe(true);
    expect(new ApiKeyStore(parseApiKeys(undefined).keys).open).toBe(true);
  });
});

describe("ApiKeyStore", () => {
  const store = new ApiKeyStore(parseApiKeys("reader:reader-secret-0001:read").keys);
  it("rejects wrong, empty, prefix and longer tokens", () => {
    for (const token of ["", "reader-secret-000", "reader-secret-00011", "READER-SECRET-0001"]) {
      expect(store.authenticate(token)).toBeNull();
    }
    expect(store.authenticate("reader-secret-0001")).toEqual({ name: "reader", role: "read" });
  });
});

describe("roleAllows", () => {
  it("orders admin above submit above read", () => {
    expect(roleAllows("admin", "admin")).toBe(true);
    expect(roleAllows("submit", "read")).toBe(true);
    expect(roleAllows("submit", "admin")).toBe(false);
    expect(roleAllows("read", "submit")).toBe(false);
  });
});
