/**
 * Lints worker-image/Dockerfile (dockerfile-utils, offline) and checks the
 * properties the image promises: multi-stage, Node 22 slim, production
 * dependencies only, non-root, an init process, a HEALTHCHECK.
 */
import { readFileSync } from "node:fs";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";

const dockerfile = readFileSync(new URL("../Dockerfile", import.meta.url), "utf8");
const instructions = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .filter((line) => line.trim() && !line.trimStart().startsWith("#"));
const stages = instructions.filter((line) => line.startsWith("FROM "));
const finalStage = instructions.slice(instructions.lastIndexOf(stages.at(-1) ?? ""));

describe("worker-image/Dockerfile", () => {
  it("passes the Dockerfile linter without problems", () => {
    const problems = validate(dockerfile).map(
      (problem) => `line ${problem.range.start.line + 1}: ${problem.message}`,
    );
    expect(problems).toEqual([]);
  });

  it("builds in stages from Node 22 slim and ships only production dependencies", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:22-[a-z]+-slim$/m);
    expect(stages.map((line) => line.replace(/\$\{NODE_IMAGE\}/, "<node image>"))).toEqual([
      "FROM <node image> AS build",
      "FROM <node image> AS deps",
      "FROM <node image>",
    ]);
    expect(dockerfile).toContain("npm ci --omit=dev -w shared -w worker-image");
    expect(finalStage.filter((line) => line.startsWith("COPY --from="))).toEqual([
      "COPY --from=deps /app/node_modules node_modules",
      "COPY --from=build /app/shared/dist shared/dist",
      "COPY --from=build /app/worker-image/dist worker-image/dist",
    ]);
  });

  it("runs as a non-root user under an init process, with a health check", () => {
    expect(finalStage).toContain("USER node");
    expect(finalStage.find((line) => line.startsWith("ENTRYPOINT"))).toBe(
      'ENTRYPOINT ["/usr/bin/tini", "--", "node", "worker-image/dist/main.js"]',
    );
    expect(finalStage.find((line) => line.startsWith("HEALTHCHECK"))).toContain(
      'CMD ["node", "worker-image/dist/main.js", "--healthcheck"]',
    );
  });
});
