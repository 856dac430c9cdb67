/**
 * Test support: lays out on disk what `docker build` would put in an image
 * FROM the R-queue worker image with your handlers, without a Docker engine.
 * The layout is read from the Dockerfiles themselves (the worker image's final
 * stage: WORKDIR, ENV, COPY, ENTRYPOINT; then the example's COPY and ENV), so it
 * follows them: build-stage outputs are the repository's built dist folders
 * (the build stage runs the same `npm run build`), the deps stage's
 * node_modules is a farm of links to the repository's, with the workspace
 * packages linked to the copies the image holds, as npm ci links them.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = fileURLToPath(new URL("../../../", import.meta.url));

export interface ImageLayout {
  /** Stands for the image's WORKDIR (/app). */
  root: string;
  /** ENV of both Dockerfiles, with /app paths mapped into `root`. */
  env: Record<string, string>;
  /** ENTRYPOINT without the init process (tini only forwards signals). */
  command: string[];
  remove(): void;
}

/** Instructions of a Dockerfile, continuation lines joined, comments dropped. */
function instructions(path: string): string[] {
  return readFileSync(path, "utf8")
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
}

function finalStage(lines: string[]): string[] {
  const lastFrom = lines.findLastIndex((line) => line.startsWith("FROM "));
  return lines.slice(lastFrom + 1);
}

function linkNodeModules(target: string, workspaces: Record<string, string>): void {
  mkdirSync(join(target, "@rqueue"), { recursive: true });
  for (const entry of readdirSync(join(REPO, "node_modules"))) {
    if (entry === "@rqueue" || entry === ".bin" || entry.startsWith(".")) continue;
    symlinkSync(join(REPO, "node_modules", entry), join(target, entry));
  }
  for (const [name, dir] of Object.entries(workspaces)) {
    const link = join(target, name);
    symlinkSync(relative(dirname(link), dir), link);
  }
}

export function buildImageLayout(workerDockerfile: string, ownDockerfile: string): ImageLayout {
  const root = mkdtempSync(join(tmpdir(), "rq-image-"));
  const inImage = (path: string) => join(root, path.replace(/^\/app\/?/, ""));
  const env: Record<string, string> = {};
  let command: string[] = [];
  const base = finalStage(instructions(workerDockerfile));
  if (!base.includes("WORKDIR /app"))
    throw new Error("the worker image's final stage no longer works in /app");
  for (const line of base) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    if (keyword === "ENV") {
      const [name = "", value = ""] = rest.join(" ").split("=");
      env[name] = value;
    } else if (keyword === "ENTRYPOINT") {
      command = (JSON.parse(rest.join(" ")) as string[]).slice(2);
      if (!line.includes('"/usr/bin/tini", "--"')) throw new Error(`unexpected entrypoint: ${line}`);
    } else if (keyword === "COPY") {
      const from = rest[0]?.startsWith("--from=") ? rest.shift()?.slice("--from=".length) : undefined;
      const [source = "", dest = ""] = rest;
      const target = inImage(dest);
      if (from === "deps" && source === "/app/node_modules") {
        linkNodeModules(target, {
          "@rqueue/shared": inImage("shared"),
          "@rqueue/worker": inImage("worker-image"),
        });
      } else {
        const path = from === "build" ? source.replace(/^\/app\//, "") : source;
        if (from !== undefined && from !== "build") throw new Error(`unknown stage in: ${line}`);
        cpSync(join(REPO, path), dest.endsWith("/") ? join(target, path.split("/").at(-1) ?? "") : target, {
          recursive: true,
        });
      }
    }
  }
  const own = instructions(ownDockerfile);
  const ownContext = dirname(ownDockerfile);
  for (const line of own) {
    const [keyword = "", ...rest] = line.split(/\s+/);
    if (keyword === "COPY")
      cpSync(join(ownContext, rest[0] ?? ""), inImage(rest[1] ?? ""), { recursive: true });
    if (keyword === "ENV") {
      const [name = "", value = ""] = rest.join(" ").split("=");
      env[name] = value.startsWith("/app") ? inImage(value) : value;
    }
  }
  return { root, env, command, remove: () => rmSync(root, { recursive: true, force: true }) };
}
