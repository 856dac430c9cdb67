/**
 * `make deploy` / `make destroy` preflight, as a user without this machine's toolchain would run
 * it: the scripts are copied into a scratch checkout and run with a PATH holding only stand-in
 * `node`, `npm`, `pulumi`, `aws` and `docker` executables (which log their arguments) and the few
 * POSIX tools the scripts use — no apt-get, no redis-server, as on macOS or Fedora.
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const INFRA_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const REPO_ROOT = path.resolve(INFRA_DIR, "..");

interface Fakes {
  /** Present on PATH at all? */
  node?: boolean;
  nodeMajor?: number;
  pulumi?: boolean;
  aws?: boolean;
  docker?: boolean;
  /** `docker info` answers (a running engine)? */
  dockerRunning?: boolean;
  loggedIn?: boolean;
  backend?: string;
  awsOk?: boolean;
  stackExists?: boolean;
  /** Lines of the stack file below `config:`; null: no stack file at all. */
  stackConfig?: string[] | null;
  /** Top-level stack-file lines (encryptionsalt, secretsprovider). */
  stackHeader?: string[];
  /** node_modules/@pulumi/pulumi present (npm ci already ran). */
  installed?: boolean;
}

const which = (tool: string) =>
  spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
const BASH = which("bash");
/** The only outside tools the scripts call besides the stand-ins. */
const POSIX_TOOLS = ["dirname", "basename", "grep", "sed", "head"];

const SECRETS = [
  "  rqueue:redisAmi: ami-0123456789abcdef0",
  "  rqueue:redisPassword:",
  "    secure: v1:abc",
  "  rqueue:apiKeys:",
  "    secure: v1:def",
];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function run(
  script: "deploy.sh" | "destroy.sh" | "roll-redis.sh" | "image.sh",
  fakes: Fakes,
  env: Record<string, string> = {},
  args: string[] = [],
) {
  const dir = mkdtempSync(path.join(tmpdir(), "rqueue-scripts-"));
  dirs.push(dir);
  const checkout = path.join(dir, "checkout");
  const infra = path.join(checkout, "infra");
  mkdirSync(path.join(infra, "scripts"), { recursive: true });
  for (const file of ["lib.sh", "deploy.sh", "destroy.sh", "roll-redis.sh", "image.sh"]) {
    copyFileSync(path.join(INFRA_DIR, "scripts", file), path.join(infra, "scripts", file));
  }
  writeFileSync(path.join(checkout, "package-lock.json"), "{}");
  if (fakes.installed !== false) {
    mkdirSync(path.join(checkout, "node_modules", "@pulumi", "pulumi"), { recursive: true });
    writeFileSync(path.join(checkout, "node_modules", ".package-lock.json"), "{}");
  }
  const stack = env.STACK ?? "dev";
  const stackConfig =
    fakes.stackConfig === undefined ? ["  aws:region: eu-west-1", ...SECRETS] : fakes.stackConfig;
  if (stackConfig !== null) {
    const header = fakes.stackHeader ?? ["encryptionsalt: v1:salt"];
    writeFileSync(
      path.join(infra, `Pulumi.${stack}.yaml`),
      [...header, "config:", ...stackConfig, ""].join("\n"),
    );
  }

  const bin = path.join(dir, "bin");
  const log = path.join(dir, "calls.log");
  mkdirSync(bin);
  for (const tool of POSIX_TOOLS) symlinkSync(which(tool), path.join(bin, tool));
  const fake = (name: string, body: string) => {
    const file = path.join(bin, name);
    writeFileSync(file, `#!${BASH}\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(file, 0o755);
  };
  if (fakes.node !== false) {
    const major = fakes.nodeMajor ?? 20;
    fake("node", `case "$1" in -p) echo ${major} ;; --version) echo v${major}.11.0 ;; esac`);
    fake("npm", "exit 0");
  }
  if (fakes.pulumi !== false) {
    fake(
      "pulumi",
      `case "$1 $2" in
  "whoami "*) ${fakes.loggedIn === false ? "exit 1" : `printf 'User: me\\nOrganizations: me\\nBackend URL: ${fakes.backend ?? "https://app.pulumi.com/me"}\\n'`} ;;
  "stack select") exit ${fakes.stackExists === false ? 1 : 0} ;;
  "config get") echo "decrypting needs the passphrase" >&2; exit 1 ;;
  *) exit 0 ;;
esac`,
    );
  }
  if (fakes.aws !== false) {
    fake(
      "aws",
      fakes.awsOk === false
        ? "exit 255"
        : 'case "$1" in ssm) echo ami-0aaaabbbbccccdddd ;; *) echo 123456789012 ;; esac',
    );
  }
  if (fakes.docker !== false) {
    fake("docker", fakes.dockerRunning === false ? '[ "$1" = info ] && exit 1; exit 0' : "exit 0");
  }
  const result = spawnSync(BASH, [path.join(infra, "scripts", script), ...args], {
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
  return { status: result.status, stderr: result.stderr, stdout: result.stdout, calls, infra };
}

describe("make deploy", () => {
  it("does not run the local toolchain installer (apt, redis-server)", () => {
    const plan = spawnSync("make", ["-n", "deploy", "destroy"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(plan.status).toBe(0);
    expect(plan.stdout).not.toContain("ensure-deps");
    expect(plan.stdout).toContain("bash infra/scripts/deploy.sh");
  });
});

/** deploy.sh as a user who said yes (the preflight checks come before any preview or update). */
const deploy = (fakes: Fakes, env: Record<string, string> = {}) =>
  run("deploy.sh", fakes, { RQ_DEPLOY_YES: "1", ...env });

describe("deploy.sh", () => {
  it("gets a machine with only Node, npm, Pulumi, AWS credentials and Docker as far as pulumi up", () => {
    const r = deploy({}, { AWS_PROFILE: "rqueue" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.calls.find((c) => c.startsWith("pulumi up"))).toBe(
      `pulumi up --stack dev --cwd ${r.infra} --yes --skip-preview`,
    );
  });

  it("stops with install instructions when Node.js is missing or too old", () => {
    const missing = deploy({ node: false });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("Node.js is not installed");
    const old = deploy({ nodeMajor: 18 });
    expect(old.status).toBe(1);
    expect(old.stderr).toContain("Node.js 20 or newer is needed (found v18.11.0)");
    expect(old.calls).not.toContainEqual(expect.stringMatching(/^pulumi /));
  });

  it("installs the npm dependencies from the lock file when they are missing", () => {
    const r = deploy({ installed: false });
    expect(r.status).toBe(0);
    const npm = r.calls.indexOf("npm ci --no-audit --no-fund");
    expect(npm).toBeGreaterThanOrEqual(0);
    expect(npm).toBeLessThan(r.calls.findIndex((c) => c.startsWith("pulumi up")));
  });

  it("stops with install instructions when the Pulumi CLI is missing", () => {
    const r = deploy({ pulumi: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("the Pulumi CLI is not installed");
    expect(r.stderr).toContain("brew install pulumi/tap/pulumi");
  });

  it("stops when Pulumi is not logged in", () => {
    const r = deploy({ loggedIn: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("not logged in");
  });

  it("asks for the passphrase a self-managed backend needs, before any stack command", () => {
    for (const backend of ["file://~", "s3://rqueue-state"]) {
      const r = deploy({ backend });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`the Pulumi backend ${backend} encrypts stack secrets with a passphrase`);
      expect(r.stderr).toContain("export PULUMI_CONFIG_PASSPHRASE=");
      expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi stack/));
    }
    expect(deploy({ backend: "file://~" }, { PULUMI_CONFIG_PASSPHRASE: "x" }).status).toBe(0);
    expect(deploy({ backend: "s3://b" }, { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" }).status).toBe(0);
    // A stack on a KMS key needs no passphrase.
    const kms = deploy({ backend: "s3://b", stackHeader: ["secretsprovider: awskms://alias/rq"] });
    expect(kms.status).toBe(0);
  });

  it("stops when the AWS credentials do not work", () => {
    const r = deploy({ awsOk: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no usable AWS credentials");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi up/));
  });

  it("stops when there are no AWS credentials and no AWS CLI to check them", () => {
    const r = deploy({ aws: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no AWS credentials found");
    const withProfile = deploy({ aws: false }, { AWS_PROFILE: "rqueue" });
    expect(withProfile.status).toBe(0);
  });

  it("stops when Docker is missing, since the images are built locally", () => {
    const r = deploy({ docker: false });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Docker is not installed");
  });

  it("names the missing secrets without decrypting anything", () => {
    const r = deploy({ stackConfig: ["  aws:region: eu-west-1"] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("missing secret settings: redisPassword apiKeys");
    expect(r.stderr).toContain("pulumi config set --secret rqueue:redisPassword");
    // Present secrets are found by key, so a wrong or missing passphrase never reads as "missing".
    const present = deploy({});
    expect(present.status).toBe(0);
    expect(present.calls).not.toContainEqual(expect.stringMatching(/^pulumi config get/));
  });

  it("pins today's Amazon Linux 2023 AMI on a stack that has none", () => {
    const r = deploy({ stackConfig: ["  aws:region: eu-west-1", ...SECRETS.slice(1)] });
    expect(r.status).toBe(0);
    expect(r.calls).toContain(
      "aws ssm get-parameter --region eu-west-1 --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 --query Parameter.Value --output text",
    );
    expect(r.calls).toContain(
      `pulumi config set rqueue:redisAmi ami-0aaaabbbbccccdddd --stack dev --cwd ${r.infra}`,
    );
    const noCli = run(
      "deploy.sh",
      { aws: false, stackConfig: ["  aws:region: eu-west-1", ...SECRETS.slice(1)] },
      {
        AWS_PROFILE: "p",
      },
    );
    expect(noCli.status).toBe(1);
    expect(noCli.stderr).toContain("stack 'dev' has no rqueue:redisAmi");
  });

  it("takes the region from the environment when the stack has none", () => {
    const r = deploy({ stackConfig: SECRETS }, { AWS_REGION: "us-east-2" });
    expect(r.status).toBe(0);
    expect(r.calls).toContain(`pulumi config set aws:region us-east-2 --stack dev --cwd ${r.infra}`);
  });

  it("creates a missing stack, then runs pulumi up on it and prints the outputs", () => {
    const r = deploy({ stackExists: false }, { STACK: "prod" });
    expect(r.status).toBe(0);
    const pulumiCalls = r.calls.filter((c) => c.startsWith("pulumi "));
    expect(pulumiCalls).toContain(`pulumi stack init prod --cwd ${r.infra} --non-interactive`);
    // RQ_DEPLOY_YES=1 (deploy()) was the decision: no prompt to wait on.
    expect(pulumiCalls).toContain(`pulumi up --stack prod --cwd ${r.infra} --yes --skip-preview`);
    expect(pulumiCalls.at(-1)).toBe(`pulumi stack output --stack prod --cwd ${r.infra}`);
    // Every check ran before the update.
    const up = r.calls.findIndex((c) => c.startsWith("pulumi up"));
    expect(r.calls.findIndex((c) => c.startsWith("aws sts get-caller-identity"))).toBeLessThan(up);
    expect(r.calls.findIndex((c) => c.startsWith("docker info"))).toBeLessThan(up);
  });
});

describe("deploy.sh without a terminal", () => {
  it("previews, applies nothing and says how to apply, unless told --yes", () => {
    const r = run("deploy.sh", {}, {}, ["--target", "urn:x"]);
    expect(r.status).toBe(1);
    expect(r.calls).toContain(`pulumi preview --stack dev --cwd ${r.infra} --target urn:x`);
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi up/));
    expect(r.stderr).toContain("previewed only");
    expect(r.stderr).toContain("make deploy ARGS=--yes");
    expect(r.stderr).toContain("RQ_DEPLOY_YES=1");
  });

  it("applies with --yes, RQ_DEPLOY_YES=1 or YES=1, keeping the other arguments for pulumi up", () => {
    const up = (r: ReturnType<typeof run>) => r.calls.filter((c) => /^pulumi (up|preview)/.test(c));
    const flag = run("deploy.sh", {}, {}, ["--target", "urn:x", "--yes"]);
    expect(flag.status).toBe(0);
    expect(up(flag)).toEqual([
      `pulumi up --stack dev --cwd ${flag.infra} --yes --skip-preview --target urn:x`,
    ]);
    const yes: Record<string, string>[] = [{ RQ_DEPLOY_YES: "1" }, { YES: "1" }];
    for (const env of yes) {
      const r = run("deploy.sh", {}, env);
      expect(r.status).toBe(0);
      expect(up(r)).toEqual([`pulumi up --stack dev --cwd ${r.infra} --yes --skip-preview`]);
    }
  });
});

describe("make image", () => {
  it("runs the image script, which checks for a Docker engine first", () => {
    const plan = spawnSync("make", ["-n", "image", "deploy", "ARGS=--yes"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(plan.stdout).toContain("bash infra/scripts/image.sh");
    expect(plan.stdout).toContain("bash infra/scripts/deploy.sh --yes");
  });

  it("says to start Docker when no engine answers, and builds nothing", () => {
    const stopped = run("image.sh", { dockerRunning: false });
    expect(stopped.status).toBe(1);
    expect(stopped.stderr).toContain("no Docker engine is running");
    expect(stopped.stderr).toContain("Start it (open Docker Desktop");
    expect(stopped.calls).not.toContainEqual(expect.stringMatching(/^docker build/));
    const missing = run("image.sh", { docker: false });
    expect(missing.stderr).toContain("Docker is not installed: make image builds");
  });

  it("builds the worker and control-plane images when the engine answers", () => {
    const r = run("image.sh", {});
    expect(r.status).toBe(0);
    expect(r.calls.filter((c) => c.startsWith("docker build"))).toEqual([
      "docker build -f worker-image/Dockerfile -t rqueue-worker .",
      "docker build -f control-plane/Dockerfile -t rqueue-control-plane .",
    ]);
  });
});

describe("roll-redis.sh", () => {
  it("replaces exactly one Redis node, with the guard lifted for it alone", () => {
    const r = run("roll-redis.sh", {}, { NODE: "3", YES: "1", STACK: "prod" });
    expect(r.status).toBe(0);
    const urn = "urn:pulumi:prod::rqueue::rqueue:infra:RedisCluster$aws:ec2/instance:Instance::redis-node-3";
    expect(r.calls).toContain(
      `pulumi up --stack prod --cwd ${r.infra} --target ${urn} --target-dependents --replace ${urn} --yes --skip-preview`,
    );
  });

  it("needs a node index, and a terminal or YES=1", () => {
    expect(run("roll-redis.sh", {}, { YES: "1" }).stderr).toContain("make roll-redis NODE=<index>");
    expect(run("roll-redis.sh", {}, { NODE: "x" }).status).toBe(1);
    expect(run("roll-redis.sh", {}, { NODE: "1" }).stderr).toContain("YES=1");
  });
});

describe("destroy.sh", () => {
  it("refuses without a terminal unless YES=1", () => {
    const r = run("destroy.sh", {});
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("YES=1");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi destroy/));
  });

  it("destroys the selected stack with YES=1, without Docker", () => {
    const r = run("destroy.sh", { docker: false }, { YES: "1", STACK: "dev" });
    expect(r.status).toBe(0);
    expect(r.calls).toContain(`pulumi destroy --stack dev --cwd ${r.infra} --yes --skip-preview`);
  });

  it("does not create a stack that does not exist", () => {
    const r = run("destroy.sh", { stackExists: false }, { YES: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("does not exist");
    expect(r.calls).not.toContainEqual(expect.stringMatching(/^pulumi stack init/));
  });
});
