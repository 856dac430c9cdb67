import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EnvSchema } from "../../worker-image/src/config.js";
import { DESCRIPTIONS } from "../config-descriptions.js";
import { allVariableNames, REFERENCE_PATH, renderConfigReference, variablesOf } from "../config-reference.js";

describe("docs/configuration.md", () => {
  it("is what the valibot schemas generate (run `npm run docs:config` after changing them)", () => {
    expect(readFileSync(REFERENCE_PATH, "utf8")).toBe(renderConfigReference());
  });

  it("describes every variable, and only variables that exist (one line each in scripts/config-descriptions.ts)", () => {
    const names = allVariableNames();
    expect(names.filter((name) => !DESCRIPTIONS[name])).toEqual([]);
    expect(Object.keys(DESCRIPTIONS).filter((name) => !names.includes(name))).toEqual([]);
  });

  it("takes defaults and limits from the schemas", () => {
    const concurrency = variablesOf(EnvSchema).find((v) => v.name === "RQ_CONCURRENCY");
    expect(concurrency).toMatchObject({ default: "50", min: 1, max: 1_000 });
    const reference = renderConfigReference();
    expect(reference).toMatch(/\| `RQ_CONCURRENCY` +\| `50` +\| whole number, 1 to 1_000 +\|/);
    expect(reference).toMatch(
      /\| `LOG_LEVEL` +\| `info` +\| one of `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent` +\|/,
    );
  });
});
