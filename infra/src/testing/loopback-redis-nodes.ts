/**
 * Test support: the loopback harness for the Redis nodes' user-data. Each "EC2 instance" is a
 * root directory and an address on loopback (127.0.0.11, .12, ...); the real rendered user-data
 * runs in it under bash, with stand-ins on PATH for what only EC2 has:
 *   - `aws ssm get-parameter` prints the password,
 *   - `systemctl enable --now rqueue-redis.service` starts a real `redis-server` with the
 *     rendered redis.conf and the data directory the unit would mount (what `docker run` does),
 *   - `docker exec ... redis-cli` runs the real redis-cli; `docker pull` succeeds,
 *   - `blkid`, `mkfs.xfs`, `mount`, `mountpoint` treat a file as the EBS device: formatting
 *     gives it a directory, mounting links the data directory to it, so a "volume" survives
 *     the instance exactly when the test keeps that file.
 * Replacing an instance kills its redis-server and wipes its root, keeping or dropping the volume.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type RedisUserDataArgs, renderRedisUserData } from "../redis-user-data.js";

export const PASSWORD = "loopback-harness-password-0123456789";
const VOLUME_ID = "vol-0123456789abcdef0";

const which = (tool: string) =>
  spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();

const STAND_INS: Record<string, string> = {
  aws: `[ "$1 $2" = "ssm get-parameter" ] || { echo "aws stand-in: unexpected $*" >&2; exit 2; }
printf '%s\\n' "$HARNESS_PASSWORD"`,
  systemctl: `for arg in "$@"; do
  if [ "$arg" = rqueue-redis.service ]; then
    pid="$RQ_ROOT/run/redis.pid"
    if [ -f "$pid" ] && kill -0 "$(cat "$pid")" 2>/dev/null; then exit 0; fi
    mkdir -p "$RQ_ROOT/run"
    # The container sees the data directory as /data (docker run -v /var/lib/redis:/data).
    sed "s#^dir /data#dir $RQ_ROOT/var/lib/redis#" "$RQ_ROOT/etc/redis/redis.conf" >"$RQ_ROOT/run/redis.conf"
    exec redis-server "$RQ_ROOT/run/redis.conf" --daemonize yes --pidfile "$pid" --logfile "$RQ_ROOT/var/log/redis.log"
  fi
done`,
  docker: `case "$1" in
  exec) while [ "$1" != redis-cli ]; do shift; done; shift; exec redis-cli "$@" ;;
  *) exit 0 ;;
esac`,
  sysctl: "exit 0",
  chown: "exit 0",
  install: `args=()
while [ $# -gt 0 ]; do case "$1" in -o|-g) shift 2 ;; *) args+=("$1"); shift ;; esac; done
exec ${which("install")} "\${args[@]}"`,
  blkid: `[ -d "$1.fs" ]`,
  "mkfs.xfs": `for last; do :; done; mkdir -p "$last.fs"`,
  mountpoint: `for last; do :; done; [ -L "$last" ]`,
  mount: `device="$(awk -v t="$1" '$2 == t {print $1}' "$RQ_ROOT/etc/fstab")"
[ -n "$device" ] || { echo "mount stand-in: $1 not in fstab" >&2; exit 32; }
rmdir "$1" && ln -s "$device.fs" "$1"`,
};

async function portFreeOn(hosts: string[], port: number): Promise<boolean> {
  for (const host of hosts) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(false));
      server.listen(port, host, () => server.close(() => resolve(true)));
    });
    if (!free) return false;
  }
  return true;
}

export interface ClusterNode {
  id: string;
  ip: string;
  flags: string[];
  masterId: string | null;
  slots: string[];
}

export interface RunResult {
  code: number | null;
  output: string;
}

export class LoopbackRedisNodes {
  readonly ips: string[];
  port = 0;
  private readonly base = mkdtempSync(path.join(tmpdir(), "rqueue-userdata-"));
  private readonly bin = path.join(this.base, "bin");
  private readonly running = new Set<ChildProcess>();

  constructor(
    readonly count: number,
    readonly replicasPerMaster: number,
    readonly azCount: number,
  ) {
    this.ips = Array.from({ length: count }, (_, i) => `127.0.0.${11 + i}`);
  }

  async init(): Promise<void> {
    for (let attempt = 0; attempt < 50 && this.port === 0; attempt++) {
      const candidate = 20_000 + Math.floor(Math.random() * 20_000);
      if ((await portFreeOn(this.ips, candidate)) && (await portFreeOn(this.ips, candidate + 10_000))) {
        this.port = candidate;
      }
    }
    if (this.port === 0) throw new Error("no free port on every loopback address");
    mkdirSync(this.bin);
    for (const [name, body] of Object.entries(STAND_INS)) {
      const file = path.join(this.bin, name);
      writeFileSync(file, `#!${which("bash")}\n${body}\n`);
      chmodSync(file, 0o755);
    }
    for (let i = 0; i < this.count; i++) this.newInstance(i, { keepVolume: false });
  }

  userDataArgs(i: number): RedisUserDataArgs {
    return {
      nodeIndex: i,
      nodeIps: this.ips,
      replicasPerMaster: this.replicasPerMaster,
      azCount: this.azCount,
      passwordParameterName: "/rqueue-harness/redis-password",
      region: "eu-west-1",
      image: "public.ecr.aws/docker/library/redis:7.2",
      maxmemoryPercent: 5,
      dataVolumeId: VOLUME_ID,
      minReplicasToWrite: 1,
      minReplicasMaxLagSeconds: 10,
      port: this.port,
    };
  }

  private root = (i: number) => path.join(this.base, `node-${i}`);
  private device = (i: number) =>
    path.join(
      this.root(i),
      "dev",
      "disk",
      "by-id",
      `nvme-Amazon_Elastic_Block_Store_${VOLUME_ID.replace("-", "")}`,
    );

  /** A fresh instance for node i: empty root; the old data volume re-attached, or a blank one. */
  private newInstance(i: number, { keepVolume }: { keepVolume: boolean }): void {
    const device = this.device(i);
    const kept = path.join(this.base, `volume-${i}`);
    if (keepVolume) {
      renameSync(device, kept);
      renameSync(`${device}.fs`, `${kept}.fs`);
    }
    rmSync(this.root(i), { recursive: true, force: true });
    mkdirSync(path.dirname(device), { recursive: true });
    if (keepVolume) {
      renameSync(kept, device);
      renameSync(`${kept}.fs`, `${device}.fs`);
    } else {
      writeFileSync(device, "");
    }
  }

  /** Runs node i's user-data to completion (as cloud-init would at first boot). */
  runUserData(i: number, env: Record<string, string> = {}): Promise<RunResult> {
    const file = path.join(this.root(i), "user-data.sh");
    writeFileSync(file, renderRedisUserData(this.userDataArgs(i)));
    const child = spawn(which("bash"), [file], {
      env: {
        ...process.env,
        PATH: `${this.bin}:${process.env.PATH ?? ""}`,
        RQ_ROOT: this.root(i),
        RQ_POLL_SECONDS: "1",
        RQ_REJOIN_GRACE_SECONDS: "60",
        HARNESS_PASSWORD: PASSWORD,
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.running.add(child);
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    return new Promise((resolve) =>
      child.once("close", (code) => {
        this.running.delete(child);
        resolve({ code, output });
      }),
    );
  }

  /** The instance is gone: its redis-server dies at once. */
  kill(i: number): void {
    const pidFile = path.join(this.root(i), "run", "redis.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8"));
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    // Wait until the port is released so the replacement can bind it.
    for (let n = 0; n < 200; n++) {
      try {
        process.kill(pid, 0);
      } catch {
        break;
      }
      spawnSync("sleep", ["0.05"]);
    }
    rmSync(pidFile, { force: true });
  }

  /** Terminates node i's instance and launches a new one on the same address (its ENI). */
  replace(i: number, options: { keepVolume: boolean }): void {
    this.kill(i);
    this.newInstance(i, options);
  }

  cli(i: number, ...args: string[]): string {
    const result = spawnSync("redis-cli", ["-h", this.ips[i] as string, "-p", String(this.port), ...args], {
      encoding: "utf8",
      env: { ...process.env, REDISCLI_AUTH: PASSWORD },
      timeout: 5_000,
    });
    return (result.stdout ?? "").replaceAll("\r", "");
  }

  clusterNodes(i: number): ClusterNode[] {
    return this.cli(i, "cluster", "nodes")
      .trim()
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => {
        const [id = "", address = "", flags = "", master = "-", , , , , ...slots] = line.split(" ");
        return {
          id,
          ip: address.split(":")[0] ?? "",
          flags: flags.split(","),
          masterId: master === "-" ? null : master,
          slots,
        };
      });
  }

  /** Node i's own entry, as it sees itself. */
  self(i: number): ClusterNode | undefined {
    return this.clusterNodes(i).find((node) => node.flags.includes("myself"));
  }

  clusterState(i: number): string | undefined {
    return /cluster_state:(\w+)/.exec(this.cli(i, "cluster", "info"))?.[1];
  }

  close(): void {
    for (const child of this.running) child.kill("SIGKILL");
    for (let i = 0; i < this.count; i++) this.kill(i);
    rmSync(this.base, { recursive: true, force: true });
  }
}
