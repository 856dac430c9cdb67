/**
 * `make deploy` / `make destroy` preflight: the scripts run against stand-in `pulumi`, `aws` and
 * `docker` executables that log their arguments, so every check and the final Pulumi command can be
 * asserted without the real tools or an AWS account.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const INFRA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SCRIPTS = path.join(INFRA_DIR, "scripts");

interface Fakes {
  /** Present on PATH at all? */
  pulumi?: boolean;
  aws?: boolean;
  docker?: boolean;
  loggedIn?: boolean;
  awsOk?: boolean;
  stackExists?: boolean;
  /** Config keys `pulumi config get` knows. */
  config?: string[];
}

const which = (tool: string) =>
  spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const BASH = which("bash");
const DIRNAME = which("dirname");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(script: "deploy.sh" | "destroy.sh", fakes: Fakes, env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "rqueue-scripts-"));
  dirs.push(dir);
  const bin = path.join(dir, "bin");
  const log = path.join(dir, "calls.log");
  mkdirSync(bin);
  // The only outside tool the scripts use; everything else on PATH is a stand-in, so a real
  // aws/docker/pulumi installed on the test machine cannot leak in.
  symlinkSync(DIRNAME, path.join(bin, "dirname"));
  const fake = (name: string, body: string) => {
    const file = path.join(bin, name);
    writeFileSync(file, `#!/bin/bash\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(file, 0o755);
  };
  const config = fakes.config ?? ["aws:region", "rqueue:redisPassword", "rqueue:apiKeys"];
  if (fakes.pulumi !== false) {
    fake(
      "pulumi",
      `case "$1 $2" in
  "whoami "*) exit ${fakes.loggedIn === false ? 1 : 0} ;;
  "stack select") exit ${fakes.stackExists === false ? 1 : 0} ;;
  "config get") case "$3" in ${config.map((k) => `"${k}"`).join("|") || '"-"'}) echo value; exit 0 ;; *) exit 1 ;; esac ;;
  *) exit 0 ;;
esac`,
    );
  }
  if (fakes.aws !== false) fake("aws", fakes.awsOk === false ? "exit 255" : "echo 123456789012");
  if (fakes.docker !== false) fake("docker", "exit 0");
  const result = spawnSync(BASH, [path.join(SCRIPTS, script)], {
    env: { PATH: bin, HOME: dir, ...env },
    input: "",
    encoding: "utf8",
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, "utf8").trim().split("\n");
  } catch {
    // No stand-in was called.
  }
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, calls };
}

describe("deploy.sh", () => {
  it("stops with install instructions when the Pulumi CLI is missing", () => {
    const r = run("deploy.sh", { pulumi: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the Pulumi CLI is not installed");
    expect(r.stderr).toContain("get.pulumi.com");
  });

  it("stops when Pulumi is not logged in", () => {
    const r = run("deploy.sh", { loggedIn: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not logged in");
  });

  it("stops when the AWS credentials do not work", () => {
    const r = run("deploy.sh", { awsOk: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no usable AWS credentials");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi up/));
  });

  it("stops when there are no AWS credentials and no AWS CLI to check them", () => {
    const r = run("deploy.sh", { aws: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no AWS credentials found");
    const withProfile = run("deploy.sh", { aws: false }, { AWS_PROFILE: "rqueue" });
    expect(withProfile.status).toBe(0);
  });

  it("stops when Docker is missing, since the images are built locally", () => {
    const r = run("deploy.sh", { docker: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Docker is not installed");
  });

  it("names the missing secrets and how to set them", () => {
    const r = run("deploy.sh", { config: ["aws:region"] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("missing secret settings: redisPassword apiKeys");
    expect(r.stderr).toContain("pulumi config set --secret rqueue:redisPassword");
  });

  it("takes the region from the environment when the stack has none", () => {
    const r = run(
      "deploy.sh",
      { config: ["rqueue:redisPassword", "rqueue:apiKeys"] },
      { AWS_REGION: "us-east-2" },
    );
    expect(r.status).toBe(0);
    expect(r.calls).toContain(`pulumi config set aws:region us-east-2 --stack dev --cwd ${INFRA_DIR}`);
  });

  it("creates a missing stack, then runs pulumi up on it and prints the outputs", () => {
    const r = run("deploy.sh", { stackExists: false }, { STACK: "prod" });
    expect(r.status).toBe(0);
    const pulumiCalls = r.calls.filter((c) => c.startsWith("pulumi "));
    expect(pulumiCalls).toContain(`pulumi stack init prod --cwd ${INFRA_DIR} --non-interactive`);
    // No TTY here, so no prompt to wait on.
    expect(pulumiCalls).toContain(`pulumi up --stack prod --cwd ${INFRA_DIR} --yes --skip-preview`);
    expect(pulumiCalls.at(-1)).toBe(`pulumi stack output --stack prod --cwd ${INFRA_DIR}`);
    // Every check ran before the update.
    const up = r.calls.findIndex((c) => c.startsWith("pulumi up"));
    expect(r.calls.findIndex((c) => c.startsWith("aws sts get-caller-identity"))).toBeLessThan(up);
    expect(r.calls.findIndex((c) => c.startsWith("docker info"))).toBeLessThan(up);
  });
});

describe("destroy.sh", () => {
  it("refuses without a terminal unless YES=1", () => {
    const r = run("destroy.sh", {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("YES=1");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi destroy/));
  });

  it("destroys the selected stack with YES=1", () => {
    const r = run("destroy.sh", {}, { YES: "1", STACK: "dev" });
    expect(r.status).toBe(0);
    expect(r.calls).toContain(`pulumi destroy --stack dev --cwd ${INFRA_DIR} --yes --skip-preview`);
  });

  it("does not create a stack that does not exist", () => {
    const r = run("destroy.sh", { stackExists: false }, { YES: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not exist");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi stack init/));
  });
});
