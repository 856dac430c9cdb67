/**
 * The publishable packages (@rqueue/shared, @rqueue/worker, @rqueue/cli), as
 * `npm pack --dry-run` would publish them from the built tree: public, with a
 * version, a changelog and a README, every `exports` and `bin` target inside
 * the tarball, a declaration beside each library module, no tests, no test
 * helpers and no build state; and workspace dependencies as version ranges.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../../", import.meta.url));

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  exports?: Record<string, string | Record<string, string>>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  publishConfig?: { access?: string };
}

const PACKAGES = [
  { dir: "shared", name: "@rqueue/shared", declarations: true },
  { dir: "worker-image", name: "@rqueue/worker", declarations: true },
  { dir: "cli", name: "@rqueue/cli", declarations: false },
] as const;

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as Manifest;

async function packedFiles(dir: string): Promise<string[]> {
  if (!existsSync(join(REPO, dir, "dist")))
    throw new Error(`${dir}/dist is missing: run \`make build\` first`);
  const { stdout } = await promisify(execFile)("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: join(REPO, dir),
  });
  const [report] = JSON.parse(stdout) as [{ files: { path: string }[] }];
  return report.files.map((file) => file.path).sort();
}

// npm pack takes seconds per package: the three run side by side.
let packed: Map<string, string[]>;
beforeAll(async () => {
  const lists = await Promise.all(PACKAGES.map(({ dir }) => packedFiles(dir)));
  packed = new Map(PACKAGES.map(({ dir }, index) => [dir, lists[index] ?? []]));
});

const targets = (value: string | Record<string, string>): string[] =>
  typeof value === "string" ? [value] : Object.values(value);

describe.each(PACKAGES)("the $name package", ({ dir, name, declarations }) => {
  it("is public, versioned, and depends on its sibling packages by version range", () => {
    const pkg = manifest(dir);
    expect(pkg).toMatchObject({ name, publishConfig: { access: "public" } });
    expect(pkg.private).toBeUndefined();
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
    for (const [dependency, range] of Object.entries(pkg.dependencies ?? {})) {
      const sibling = PACKAGES.find((other) => other.name === dependency);
      if (sibling) expect(range).toBe(`^${manifest(sibling.dir).version}`);
    }
    expect(readFileSync(join(REPO, dir, "CHANGELOG.md"), "utf8")).toContain(`## ${pkg.version}`);
  });

  it("packs built JavaScript, declarations and every exports/bin target, and no tests", () => {
    const pkg = manifest(dir);
    const files = packed.get(dir) ?? [];
    expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "CHANGELOG.md"]));
    const wanted = [
      ...Object.values(pkg.exports ?? {}).flatMap(targets),
      ...Object.values(pkg.bin ?? {}),
    ].map((target) => target.replace(/^\.\//, ""));
    expect(wanted.length).toBeGreaterThan(0);
    expect(files).toEqual(expect.arrayContaining(wanted));
    const modules = files.filter((file) => file.startsWith("dist/") && file.endsWith(".js"));
    expect(modules.length).toBeGreaterThan(0);
    if (declarations) {
      expect(modules.filter((file) => !files.includes(file.replace(/\.js$/, ".d.ts")))).toEqual([]);
    }
    expect(
      files.filter((file) => /\.test\.|(^|\/)(test|testing)\/|tsbuildinfo|bench-noop/.test(file)),
    ).toEqual([]);
  });
});
