/**
 * Redis node bootstrap: pure functions that plan the cluster layout and render each node's EC2
 * user-data (install Docker, write redis.conf, run Redis 7, form or join the cluster).
 *
 * Kept free of Pulumi resources so tests can assert on the exact script and config text.
 */

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

/**
 * The static part of redis.conf. The bootstrap appends the values only known on the host:
 * `maxmemory` (from the instance's RAM), `cluster-announce-ip`, `requirepass` and `masterauth`.
 */
export function renderRedisConf(port: number = REDIS_PORT): string {
  return [
    "# R-queue Redis Cluster node, rendered by infra/src/redis-user-data.ts",
    "bind 0.0.0.0",
    // Safe with bind 0.0.0.0: protected mode only refuses remote clients when no password is set.
    "protected-mode yes",
    `port ${port}`,
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
    "tcp-keepalive 60",
    "timeout 0",
    "loglevel notice",
    "",
  ].join("\n");
}

export interface RedisUserDataArgs {
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
  port?: number;
}

/** Characters allowed in values spliced into the script unquoted-safe (IPs, names, regions, image refs). */
const SAFE_SHELL_VALUE = /^[A-Za-z0-9._:/@+=-]+$/;

function shellSafe(label: string, value: string): string {
  if (!SAFE_SHELL_VALUE.test(value))
    throw new Error(`${label} contains characters unsafe for user-data: ${value}`);
  return value;
}

/**
 * The complete user-data for one Redis node. It is idempotent (re-running it on a healthy node
 * changes nothing) and it is the same script for first formation and for a node that replaced a
 * lost one: the cluster-membership step decides which case applies from `CLUSTER INFO`.
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
  const region = shellSafe("region", args.region);
  const parameter = shellSafe("passwordParameterName", args.passwordParameterName);
  const image = shellSafe("image", args.image);
  const percent = Math.trunc(args.maxmemoryPercent);

  return `#!/bin/bash
# R-queue Redis Cluster node ${args.nodeIndex} of ${ips.length}, rendered by infra/src/redis-user-data.ts.
# cloud-init runs this once, at first boot; afterwards Docker's restart policy brings Redis back
# with the host, and cluster membership persists in /var/lib/redis/nodes.conf. The script is
# idempotent, so an operator may re-run it: sudo bash /var/lib/cloud/instance/user-data.txt
set -euo pipefail
exec > >(tee -a /var/log/rqueue-redis-bootstrap.log) 2>&1

REGION="${region}"
PASSWORD_PARAMETER="${parameter}"
REDIS_IMAGE="${image}"
PORT=${port}
NODE_INDEX=${args.nodeIndex}
MY_IP="${myIp}"
NODES=(${ips.join(" ")})
MASTERS=(${masterIps.join(" ")})
# "replica master" pairs from planRedisCluster: no replica shares its master's availability zone.
REPLICA_PLAN=(
${replicaPlan.join("\n")}
)
MAXMEMORY_PERCENT=${percent}

log() { echo "[rqueue-redis] $(date -Is) $*"; }

# ---- host ------------------------------------------------------------------------------------
# Docker runs the official Redis 7 image: Amazon Linux's own packages lag behind Redis 7.
if ! command -v docker >/dev/null 2>&1; then dnf install -y docker; fi
systemctl enable --now docker
# Redis forks for AOF rewrites and replica syncs; without overcommit those forks can fail.
printf 'vm.overcommit_memory = 1\\nnet.core.somaxconn = 1024\\n' > /etc/sysctl.d/90-redis.conf
sysctl --system >/dev/null
# Transparent huge pages make fork latency spiky; turn them off now and on every boot.
cat > /etc/systemd/system/disable-thp.service <<'UNIT'
[Unit]
Description=Disable transparent huge pages for Redis
Before=docker.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'echo never > /sys/kernel/mm/transparent_hugepage/enabled'
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now disable-thp.service

# ---- password: fetched from SSM, never written into user-data --------------------------------
REDIS_PASSWORD=""
for attempt in $(seq 1 30); do
  # The instance profile can take a few seconds to become usable after launch.
  if REDIS_PASSWORD="$(aws ssm get-parameter --region "$REGION" --name "$PASSWORD_PARAMETER" \\
      --with-decryption --query Parameter.Value --output text)"; then
    break
  fi
  log "waiting for $PASSWORD_PARAMETER (attempt $attempt)"
  sleep 10
done
if [ -z "$REDIS_PASSWORD" ]; then log "could not read $PASSWORD_PARAMETER"; exit 1; fi
# redis-cli reads REDISCLI_AUTH, which keeps the password out of every process's argv.
export REDISCLI_AUTH="$REDIS_PASSWORD"

# ---- redis.conf --------------------------------------------------------------------------------
install -d -m 0750 -o ${REDIS_IMAGE_UID} -g ${REDIS_IMAGE_UID} /etc/redis /var/lib/redis
MEM_KB="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
MAXMEMORY_BYTES=$((MEM_KB * 1024 * MAXMEMORY_PERCENT / 100))
umask 077
cat > /etc/redis/redis.conf.new <<'CONF'
${renderRedisConf(port)}CONF
cat >> /etc/redis/redis.conf.new <<CONF
maxmemory $MAXMEMORY_BYTES
cluster-announce-ip $MY_IP
requirepass "$REDIS_PASSWORD"
masterauth "$REDIS_PASSWORD"
CONF
chown ${REDIS_IMAGE_UID}:${REDIS_IMAGE_UID} /etc/redis/redis.conf.new
mv /etc/redis/redis.conf.new /etc/redis/redis.conf

# ---- Redis 7 -------------------------------------------------------------------------------------
if ! docker container inspect redis >/dev/null 2>&1; then
  for attempt in $(seq 1 30); do
    if docker pull "$REDIS_IMAGE"; then break; fi
    log "waiting to pull $REDIS_IMAGE (attempt $attempt)"
    sleep 10
  done
  # Host networking: the node announces and is reached on the ENI's own IP, bus port included.
  docker run -d --name redis --restart always --network host \\
    --ulimit nofile=65536:65536 \\
    -v /etc/redis:/usr/local/etc/redis:ro -v /var/lib/redis:/data \\
    "$REDIS_IMAGE" redis-server /usr/local/etc/redis/redis.conf
fi

rcli() { docker exec -e REDISCLI_AUTH redis redis-cli "$@"; }
info_field() { { rcli -h "$1" -p "$PORT" cluster info 2>/dev/null || true; } | tr -d '\\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
is_up() { [ "$({ rcli -h "$1" -p "$PORT" ping 2>/dev/null || true; } | tr -d '\\r')" = "PONG" ]; }
known_nodes() { local n; n="$(info_field "$1" cluster_known_nodes)"; echo "\${n:-0}"; }
cluster_ok() { [ "$(info_field "$1" cluster_state)" = "ok" ]; }
member() { [ "$(known_nodes "$MY_IP")" -gt 1 ]; }
all_known() { [ "$(known_nodes "$MY_IP")" -ge "\${#NODES[@]}" ]; }
all_up() { local ip; for ip in "\${NODES[@]}"; do is_up "$ip" || return 1; done; }
ok_peer() {
  local ip
  for ip in "\${NODES[@]}"; do
    if [ "$ip" != "$MY_IP" ] && cluster_ok "$ip"; then echo "$ip"; return 0; fi
  done
  return 1
}
wait_until() {
  local attempts=$1 delay=$2 n
  shift 2
  for ((n = 0; n < attempts; n++)); do
    if "$@"; then return 0; fi
    sleep "$delay"
  done
  return 1
}

# Node 0 only. Masters are created without replicas (redis-cli would pair them ignoring AZs),
# then each planned replica is attached to its planned master. Each step is skipped when done.
form_cluster() {
  local ip pair replica master master_id addrs=()
  if ! member; then
    # Only when no node is in a cluster yet (ok_peer found none): safe to create from scratch.
    for ip in "\${MASTERS[@]}"; do addrs+=("$ip:$PORT"); done
    log "creating the cluster with masters \${MASTERS[*]}"
    rcli --cluster create "\${addrs[@]}" --cluster-replicas 0 --cluster-yes
  fi
  wait_until 60 5 cluster_ok "$MY_IP" || { log "cluster did not reach cluster_state:ok"; return 1; }
  for pair in "\${REPLICA_PLAN[@]}"; do
    read -r replica master <<<"$pair"
    if [ "$(known_nodes "$replica")" -gt 1 ]; then continue; fi
    master_id="$(rcli -h "$master" -p "$PORT" cluster myid | tr -d '\\r')"
    log "adding $replica as a replica of $master ($master_id)"
    rcli --cluster add-node "$replica:$PORT" "$MY_IP:$PORT" --cluster-slave --cluster-master-id "$master_id"
  done
  wait_until 60 5 all_known || log "warning: not every node is known yet"
}

# A node replacing a lost one (same ENI, so same IP, but empty): the survivors still list the old
# node ID under this address. All of them must forget it before this node joins as a replica.
rejoin() {
  local peer=$1 ip id
  log "a cluster exists without this node: it replaced a lost node, rejoining as a replica"
  local stale
  stale="$({ rcli -h "$peer" -p "$PORT" cluster nodes || true; } | tr -d '\\r' \\
    | awk -v a="$MY_IP:$PORT@" 'index($2, a) == 1 && $3 !~ /myself/ {print $1}')"
  for id in $stale; do
    for ip in "\${NODES[@]}"; do
      if [ "$ip" != "$MY_IP" ]; then rcli -h "$ip" -p "$PORT" cluster forget "$id" >/dev/null 2>&1 || true; fi
    done
  done
  rcli --cluster add-node "$MY_IP:$PORT" "$peer:$PORT" --cluster-slave
}

# ---- cluster membership ------------------------------------------------------------------------
wait_until 60 2 is_up "$MY_IP" || { log "local Redis did not start"; exit 1; }

if member; then
  # Already in the cluster (a re-run). Node 0 resumes any replica attachment a failed run left out.
  if [ "$NODE_INDEX" -eq 0 ]; then form_cluster; fi
  log "already a cluster member"
  exit 0
fi

grace=0
for ((attempt = 1; attempt <= 120; attempt++)); do
  if member; then log "joined the cluster"; exit 0; fi
  if peer="$(ok_peer)"; then
    # A healthy cluster exists without this node. During first formation node 0 attaches every
    # replica within seconds, so only a node still outside after ~3 minutes is a replacement.
    grace=$((grace + 1))
    if [ "$grace" -ge 18 ]; then
      rejoin "$peer"
      if wait_until 60 5 member; then log "rejoined the cluster"; exit 0; fi
      log "rejoin failed"
      exit 1
    fi
  elif [ "$NODE_INDEX" -eq 0 ] && all_up; then
    form_cluster
    log "cluster formed"
    exit 0
  fi
  sleep 10
done
log "gave up after 20 minutes: the cluster was not formed"
exit 1
`;
}
