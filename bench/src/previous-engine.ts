/**
 * The engine as it was at an earlier commit, for measuring what a change costs in
 * the same run on the same Redis: `git archive` writes that commit's shared/src into
 * a temporary folder (no worktree, nothing in .git changes), whose node_modules
 * points at this checkout's, and it is imported through tsx like the current one.
 * Its Lua scripts load from that folder, so each engine runs its own scripts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What the take-path drain needs of an engine; both the old and the current one have it. */
export interface EngineModule {
  createRedis(url: string): EngineRedis;
  Queue: new (options: {
    redis: EngineRedis;
    name: string;
  }) => {
    addBulk(jobs: { type: string; payload: unknown }[]): Promise<unknown>;
  };
  Consumer: new (options: {
    redis: EngineRedis;
    queue: string;
    workerId: string;
  }) => {
    settle(outcomes: { lease: unknown; kind: "completed" }[], take: number): Promise<{ taken: unknown[] }>;
  };
}

export interface EngineRedis {
  disconnect(): void;
}

export interface PreviousEngine {
  engine: EngineModule;
  remove(): void;
}

export async function previousEngine(commit: string): Promise<PreviousEngine> {
  const dir = mkdtempSync(join(tmpdir(), "rq-bench-engine-"));
  try {
    const archive = execFileSync("git", ["archive", commit, "shared/src"], {
      cwd: REPO_ROOT,
      maxBuffer: 256 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", dir], { input: archive });
    symlinkSync(join(REPO_ROOT, "node_modules"), join(dir, "node_modules"), "dir");
    const engine = (await import(pathToFileURL(join(dir, "shared/src/index.ts")).href)) as EngineModule;
    return { engine, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
