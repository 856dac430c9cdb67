/**
 * Redis node bootstrap: pure functions that plan the cluster layout and render each node's EC2
 * user-data (install Docker, write redis.conf, run Redis 7, form or join the cluster).
 *
 * Kept free of Pulumi resources so tests can assert on the exact script and config text, and
 * so the loopback harness can run the very script EC2 would.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

export const REDIS_PORT = 6379;
/** Redis Cluster's node-to-node bus always listens on the client port + 10000. */
export const REDIS_BUS_PORT = REDIS_PORT + 10_000;
/** UID/GID of the `redis` user in the official image; config and data directories are owned by it. */
const REDIS_IMAGE_UID = 999;

export interface RedisNodePlan {
  index: number;
  /** Index into the private subnets (= availability zones) the node is placed in. */
  az: number;
  role: "master" | "replica";
  /** For replicas: the index of the master it follows. */
  masterIndex?: number;
}

/**
 * Places node i in AZ (i mod azCount), makes the first nodeCount/(replicas+1) nodes masters, and
 * gives every master exactly `replicasPerMaster` replicas, none in its master's AZ whenever the
 * layout allows, so losing one AZ never takes a master together with its replicas.
 * (`redis-cli --cluster create --cluster-replicas` knows nothing about AZs, which is why the
 * bootstrap attaches replicas itself, following this plan.)
 *
 * The assignment is a bipartite matching (replicas onto master slots, augmenting paths), since a
 * greedy pass can paint itself into a corner: with 3 masters in 3 AZs it may leave the last
 * replica only its own AZ's master.
 */
export function planRedisCluster(
  nodeCount: number,
  replicasPerMaster: number,
  azCount: number,
): RedisNodePlan[] {
  const masters = nodeCount / (replicasPerMaster + 1);
  if (!Number.isInteger(masters) || masters < 3) {
    throw new Error(
      `${nodeCount} nodes with ${replicasPerMaster} replicas each do not give ≥ 3 whole masters`,
    );
  }
  const azOf = (node: number) => node % azCount;
  // One slot per replica a master must receive.
  const slotMaster: number[] = [];
  for (let m = 0; m < masters; m++) for (let j = 0; j < replicasPerMaster; j++) slotMaster.push(m);
  const slotReplica: (number | undefined)[] = slotMaster.map(() => undefined);

  // Candidate slots for a replica, in order of preference: rotate so that consecutive replicas go
  // to consecutive masters, offset by one more each round so a master's second replica comes from
  // yet another AZ.
  const candidates = (replica: number) => {
    const k = replica - masters;
    const shift = k + 1 + Math.floor(k / masters);
    return slotMaster
      .map((m, slot) => ({ m, slot, order: (((m - shift) % masters) + masters) % masters }))
      .filter(({ m }) => azOf(m) !== azOf(replica))
      .sort((a, b) => a.order - b.order || a.slot - b.slot)
      .map(({ slot }) => slot);
  };
  const assign = (replica: number, seen: Set<number>): boolean => {
    for (const slot of candidates(replica)) {
      if (seen.has(slot)) continue;
      seen.add(slot);
      const holder = slotReplica[slot];
      if (holder === undefined || assign(holder, seen)) {
        slotReplica[slot] = replica;
        return true;
      }
    }
    return false;
  };
  const unmatched: number[] = [];
  for (let replica = masters; replica < nodeCount; replica++) {
    if (!assign(replica, new Set())) unmatched.push(replica);
  }
  // Same-AZ pairs only for replicas no matching could place elsewhere (too few AZs for the
  // layout); they take the free slots without disturbing the pairs already made.
  for (const replica of unmatched) {
    const free = slotReplica.indexOf(undefined);
    slotReplica[free] = replica;
  }

  const plan: RedisNodePlan[] = [];
  for (let i = 0; i < masters; i++) plan.push({ index: i, az: azOf(i), role: "master" });
  for (let i = masters; i < nodeCount; i++) {
    const slot = slotReplica.indexOf(i);
    plan.push({ index: i, az: azOf(i), role: "replica", masterIndex: slotMaster[slot] ?? 0 });
  }
  return plan;
}

export interface RedisConfOptions {
  /**
   * A master accepts writes only while this many replicas are in sync (0: always). With 1, a
   * master cut off from its replica (partitioned, frozen) stops acknowledging completions within
   * `minReplicasMaxLagSeconds`, so a failover cannot discard writes it confirmed; the price is
   * that a shard stops taking writes while its only replica is down or resyncing.
   */
  minReplicasToWrite: number;
  minReplicasMaxLagSeconds: number;
}

/**
 * The static part of redis.conf. The bootstrap appends the values only known on the host:
 * `bind`/`port`, `maxmemory` (from the instance's RAM), `cluster-announce-ip`, `requirepass` and
 * `masterauth`.
 */
export function renderRedisConf(options: RedisConfOptions): string {
  return [
    "# R-queue Redis Cluster node, rendered by infra/src/redis-user-data.ts",
    // Safe with the bind below: protected mode only refuses remote clients when no password is set.
    "protected-mode yes",
    "dir /data",
    "cluster-enabled yes",
    "cluster-config-file nodes.conf",
    "cluster-node-timeout 5000",
    // A queue must not accept writes it could lose: stop serving when a slot range has no master.
    "cluster-require-full-coverage yes",
    // Durability: every acknowledged write reaches the AOF within a second.
    "appendonly yes",
    "appendfsync everysec",
    "aof-use-rdb-preamble yes",
    // The AOF is the persistence; periodic RDB snapshots would only add fork pauses.
    'save ""',
    // Jobs are data, not cache: refuse writes when full instead of silently evicting queued jobs.
    "maxmemory-policy noeviction",
    `min-replicas-to-write ${options.minReplicasToWrite}`,
    `min-replicas-max-lag ${options.minReplicasMaxLagSeconds}`,
    "tcp-keepalive 60",
    "timeout 0",
    "loglevel notice",
  ].join("\n");
}

export interface RedisUserDataArgs extends RedisConfOptions {
  /** This node's position in `nodeIps`; node 0 forms the cluster. */
  nodeIndex: number;
  /** Private IPs of all nodes, in node-index order (stable: they belong to pre-created ENIs). */
  nodeIps: string[];
  replicasPerMaster: number;
  azCount: number;
  /** SSM SecureString holding requirepass/masterauth; read at boot with the instance role. */
  passwordParameterName: string;
  region: string;
  image: string;
  maxmemoryPercent: number;
  /** The node's data volume (`vol-...`), found by its NVMe device ID once Pulumi attaches it. */
  dataVolumeId: string;
  port?: number;
}

/** Characters allowed in values spliced into the script unquoted-safe (IPs, names, regions, image refs). */
const SAFE_SHELL_VALUE = /^[A-Za-z0-9._:/@+=-]+$/;

function shellSafe(label: string, value: string): string {
  if (!SAFE_SHELL_VALUE.test(value))
    throw new Error(`${label} contains characters unsafe for user-data: ${value}`);
  return value;
}

/** Where a Nitro instance (every current type) shows an attached EBS volume: by its ID, dash dropped. */
export function dataDevicePath(volumeId: string): string {
  return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
}

/** EC2 refuses user-data over 16 KB (before base64). */
export const USER_DATA_LIMIT_BYTES = 16 * 1024;

/**
 * The user-data as EC2 receives it: gzipped (cloud-init inflates it before running it; the script
 * is about 14 KB plain, close to the limit), base64-encoded for `userDataBase64`.
 */
export function packUserData(script: string): string {
  const packed = gzipSync(Buffer.from(script), { level: 9 });
  if (packed.length > USER_DATA_LIMIT_BYTES) {
    throw new Error(`user-data is ${packed.length} bytes gzipped; EC2 allows ${USER_DATA_LIMIT_BYTES}`);
  }
  return packed.toString("base64");
}

const BOOTSTRAP = readFileSync(fileURLToPath(new URL("./redis-bootstrap.sh", import.meta.url)), "utf8");

/**
 * The complete user-data for one Redis node: its own values, then the shared bootstrap
 * (redis-bootstrap.sh), which forms the cluster, joins it, or replaces a lost node, whichever
 * applies, and is idempotent.
 */
export function renderRedisUserData(args: RedisUserDataArgs): string {
  const port = args.port ?? REDIS_PORT;
  const ips = args.nodeIps.map((ip, i) => shellSafe(`nodeIps[${i}]`, ip));
  const myIp = ips[args.nodeIndex];
  if (myIp === undefined) throw new Error(`nodeIndex ${args.nodeIndex} is outside nodeIps`);
  const plan = planRedisCluster(ips.length, args.replicasPerMaster, args.azCount);
  const masterIps = plan.filter((n) => n.role === "master").map((n) => ips[n.index]);
  const replicaPlan = plan
    .filter((n) => n.role === "replica")
    .map((n) => `  "${ips[n.index]} ${ips[n.masterIndex ?? -1]}"`);
  const conf = renderRedisConf(args);
  if (conf.includes("'")) throw new Error("redis.conf must not contain single quotes");

  const script = `#!/bin/bash
# R-queue Redis Cluster node ${args.nodeIndex} of ${ips.length}, rendered by infra/src/redis-user-data.ts.
REGION="${shellSafe("region", args.region)}"
PASSWORD_PARAMETER="${shellSafe("passwordParameterName", args.passwordParameterName)}"
REDIS_IMAGE="${shellSafe("image", args.image)}"
REDIS_UID=${REDIS_IMAGE_UID}
PORT=${Math.trunc(port)}
NODE_INDEX=${args.nodeIndex}
MY_IP="${myIp}"
NODES=(${ips.join(" ")})
MASTERS=(${masterIps.join(" ")})
# "replica master" pairs from planRedisCluster: no replica shares its master's availability zone.
REPLICA_PLAN=(
${replicaPlan.join("\n")}
)
MAXMEMORY_PERCENT=${Math.trunc(args.maxmemoryPercent)}
DATA_DEVICE="${shellSafe("dataVolumeId", dataDevicePath(args.dataVolumeId))}"
REDIS_CONF='${conf}'

${BOOTSTRAP}`;
  return script;
}
