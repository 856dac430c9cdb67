# R-queue Redis node bootstrap: the body of every node's EC2 user-data. renderRedisUserData
# (redis-user-data.ts) puts the node's values in front of it (NODE_INDEX, MY_IP, NODES, MASTERS,
# REPLICA_PLAN, DATA_DEVICE, REDIS_CONF, ...). cloud-init runs it at first boot; it is idempotent,
# so an operator may re-run it (sudo bash /var/lib/cloud/instance/scripts/part-001), and a second run
# on a healthy node changes nothing.
#
# It is also the script the loopback harness (redis-cluster-harness.test.ts) runs against real
# redis-server processes on 127.0.0.x: RQ_ROOT prefixes every path it writes, RQ_POLL_SECONDS and
# RQ_REJOIN_GRACE_SECONDS shorten its waits. On EC2 none of them is set.
set -euo pipefail

ROOT="${RQ_ROOT:-}"
POLL="${RQ_POLL_SECONDS:-10}"
# During first formation node 0 attaches every replica within seconds: a node still outside a
# healthy cluster after this long is a replacement.
REJOIN_GRACE="${RQ_REJOIN_GRACE_SECONDS:-180}"
DATA_DIR="$ROOT/var/lib/redis"
CONF_DIR="$ROOT/etc/redis"

mkdir -p "$ROOT/var/log"
exec > >(tee -a "$ROOT/var/log/rqueue-redis-bootstrap.log") 2>&1

log() { echo "[rqueue-redis] $(date -Is) node $NODE_INDEX: $*"; }

# ---- host ------------------------------------------------------------------------------------
# Docker runs the official Redis 7 image: Amazon Linux's own packages lag behind Redis 7.
if ! command -v docker >/dev/null 2>&1; then dnf install -y docker; fi
systemctl enable --now docker
mkdir -p "$ROOT/etc/sysctl.d" "$ROOT/etc/systemd/system"
# Redis forks for AOF rewrites and replica syncs; without overcommit those forks can fail.
printf 'vm.overcommit_memory = 1\nnet.core.somaxconn = 1024\n' >"$ROOT/etc/sysctl.d/90-redis.conf"
sysctl --system >/dev/null
# Transparent huge pages make fork latency spiky; turn them off now and on every boot.
cat >"$ROOT/etc/systemd/system/disable-thp.service" <<'UNIT'
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

# ---- data volume: the node's own EBS volume, which outlives the instance ----------------------
# AOF and nodes.conf live here, so a replacement instance keeps the node's data and cluster
# identity. Pulumi attaches the volume after the instance starts: wait for it, format it only
# when it is blank (a new volume; never one restored from a snapshot), mount it by its device ID.
for ((attempt = 1; attempt <= 60; attempt++)); do
  if [ -e "$ROOT$DATA_DEVICE" ]; then break; fi
  log "waiting for the data volume $DATA_DEVICE (attempt $attempt)"
  sleep "$POLL"
done
if [ ! -e "$ROOT$DATA_DEVICE" ]; then log "the data volume $DATA_DEVICE never appeared"; exit 1; fi
if ! blkid "$ROOT$DATA_DEVICE" >/dev/null 2>&1; then
  log "formatting the new data volume"
  mkfs.xfs -q -L rqueue-data "$ROOT$DATA_DEVICE"
fi
mkdir -p "$DATA_DIR"
touch "$ROOT/etc/fstab"
if ! grep -q " $DATA_DIR " "$ROOT/etc/fstab"; then
  # nofail: a missing volume must not stop the host from booting into Session Manager.
  echo "$ROOT$DATA_DEVICE $DATA_DIR xfs defaults,noatime,nofail 0 2" >>"$ROOT/etc/fstab"
fi
if ! mountpoint -q "$DATA_DIR"; then mount "$DATA_DIR"; fi
chown "$REDIS_UID:$REDIS_UID" "$DATA_DIR"

# ---- password: fetched from SSM, never written into user-data --------------------------------
REDIS_PASSWORD=""
for ((attempt = 1; attempt <= 30; attempt++)); do
  # The instance profile can take a few seconds to become usable after launch.
  if REDIS_PASSWORD="$(aws ssm get-parameter --region "$REGION" --name "$PASSWORD_PARAMETER" \
    --with-decryption --query Parameter.Value --output text)"; then
    break
  fi
  log "waiting for $PASSWORD_PARAMETER (attempt $attempt)"
  sleep "$POLL"
done
if [ -z "$REDIS_PASSWORD" ]; then log "could not read $PASSWORD_PARAMETER"; exit 1; fi
# redis-cli reads REDISCLI_AUTH, which keeps the password out of every process's argv.
export REDISCLI_AUTH="$REDIS_PASSWORD"

# ---- redis.conf --------------------------------------------------------------------------------
install -d -m 0750 -o "$REDIS_UID" -g "$REDIS_UID" "$CONF_DIR"
MEM_KB="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
MAXMEMORY_BYTES=$((MEM_KB * 1024 * MAXMEMORY_PERCENT / 100))
(
  umask 077
  printf '%s\n' "$REDIS_CONF" >"$CONF_DIR/redis.conf.new"
  cat >>"$CONF_DIR/redis.conf.new" <<CONF
bind $MY_IP
port $PORT
maxmemory $MAXMEMORY_BYTES
cluster-announce-ip $MY_IP
requirepass "$REDIS_PASSWORD"
masterauth "$REDIS_PASSWORD"
CONF
)
chown "$REDIS_UID:$REDIS_UID" "$CONF_DIR/redis.conf.new"
mv "$CONF_DIR/redis.conf.new" "$CONF_DIR/redis.conf"

# ---- Redis 7, as a systemd unit that waits for the data volume ---------------------------------
for ((attempt = 1; attempt <= 30; attempt++)); do
  if docker pull -q "$REDIS_IMAGE" >/dev/null; then break; fi
  log "waiting to pull $REDIS_IMAGE (attempt $attempt)"
  sleep "$POLL"
done
cat >"$ROOT/etc/systemd/system/rqueue-redis.service" <<UNIT
[Unit]
Description=R-queue Redis Cluster node
After=docker.service
Requires=docker.service
RequiresMountsFor=/var/lib/redis
[Service]
ExecStartPre=-/usr/bin/docker rm -f redis
# Host networking: the node announces and is reached on its ENI's IP, bus port included.
ExecStart=/usr/bin/docker run --rm --name redis --network host --ulimit nofile=65536:65536 \
  -v /etc/redis:/usr/local/etc/redis:ro -v /var/lib/redis:/data $REDIS_IMAGE \
  redis-server /usr/local/etc/redis/redis.conf
ExecStop=/usr/bin/docker stop -t 30 redis
Restart=always
RestartSec=2
[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable --now rqueue-redis.service

# ---- cluster helpers -----------------------------------------------------------------------------
rcli() { docker exec -e REDISCLI_AUTH redis redis-cli "$@"; }
at() {
  local ip=$1
  shift
  rcli -h "$ip" -p "$PORT" "$@"
}
info_field() { { at "$1" cluster info 2>/dev/null || true; } | tr -d '\r' | awk -F: -v k="$2" '$1 == k {print $2}'; }
is_up() { [ "$({ at "$1" ping 2>/dev/null || true; } | tr -d '\r')" = "PONG" ]; }
known_nodes() {
  local n
  n="$(info_field "$1" cluster_known_nodes)"
  echo "${n:-0}"
}
cluster_ok() { [ "$(info_field "$1" cluster_state)" = "ok" ]; }
member() { [ "$(known_nodes "$MY_IP")" -gt 1 ]; }
all_up() {
  local ip
  for ip in "${NODES[@]}"; do is_up "$ip" || return 1; done
}
ok_peer() {
  local ip
  for ip in "${NODES[@]}"; do
    if [ "$ip" != "$MY_IP" ] && cluster_ok "$ip"; then
      echo "$ip"
      return 0
    fi
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
cluster_nodes() { { at "$1" cluster nodes 2>/dev/null || true; } | tr -d '\r'; }
# "id ip role" of the node at $1, as that node sees itself (role: master or slave).
self_line() { cluster_nodes "$1" | awk '$3 ~ /myself/ {split($2, a, ":"); role = ($3 ~ /master/) ? "master" : "slave"; print $1, a[1], role, $4}'; }
role_of() { self_line "$1" | awk '{print $3}'; }
id_of() { self_line "$1" | awk '{print $1}'; }

# The planned master of a node (itself for a planned master), from planRedisCluster.
planned_master_of() {
  local pair replica master
  for pair in "${REPLICA_PLAN[@]}"; do
    read -r replica master <<<"$pair"
    if [ "$replica" = "$1" ]; then
      echo "$master"
      return 0
    fi
  done
  echo "$1"
}
# Nodes of the planned shard led by master $1: the master and its planned replicas.
shard_members() {
  local pair replica master
  echo "$1"
  for pair in "${REPLICA_PLAN[@]}"; do
    read -r replica master <<<"$pair"
    if [ "$master" = "$1" ]; then echo "$replica"; fi
  done
}
# The ID of whichever member of planned shard $1 serves its slots now (a replica may have been
# promoted while its master was away).
shard_master_id() {
  local ip
  for ip in $(shard_members "$1"); do
    if [ "$ip" != "$MY_IP" ] && [ "$(role_of "$ip")" = "master" ]; then
      id_of "$ip"
      return 0
    fi
  done
  return 1
}

# Every node drops entries of departed nodes that serve no slots: the identities of nodes that
# were replaced (survivors list them as `fail,noaddr :0@0`, or `fail` at an address where the
# replacement now answers with its own ID, so matching by address alone finds nothing). A node
# that is merely down or suspected (`fail?`) keeps its entry: forgotten, it could not come back.
# CLUSTER FORGET must reach every node within a minute, or gossip brings the entry back.
forget_ghosts() {
  local ip id addr flags peer
  for ip in "${NODES[@]}"; do
    while read -r id addr flags; do
      if [ -z "$id" ] || ! departed "$id" "$addr" "$flags"; then continue; fi
      log "forgetting the departed node $id"
      for peer in "${NODES[@]}"; do
        if [ "$(id_of "$peer")" != "$id" ]; then at "$peer" cluster forget "$id" >/dev/null 2>&1 || true; fi
      done
    done < <(cluster_nodes "$ip" | awk '$3 !~ /myself/ && NF < 9 {print $1, $2, $3}')
  done
}
departed() {
  local id=$1 addr=$2 flags=",$3," host
  case "$flags" in
    *,noaddr,*) return 0 ;;
    *,fail,*) ;;
    *) return 1 ;;
  esac
  host="${addr%%:*}"
  [ -n "$host" ] && is_up "$host" && [ "$(id_of "$host")" != "$id" ]
}

# A planned master that came back as a replica (its replica was promoted meanwhile) takes its
# slots back with a coordinated CLUSTER FAILOVER, once in sync: masters stay spread over the AZs
# as planned. Nothing to do when the layout is already as planned.
restore_layout() {
  if [ "$(planned_master_of "$MY_IP")" != "$MY_IP" ] || [ "$(role_of "$MY_IP")" = "master" ]; then return 0; fi
  if ! wait_until 60 "$POLL" link_up; then
    log "replication from the current master never came up; layout left as it is"
    return 1
  fi
  log "planned master serving as a replica: taking the slots back (CLUSTER FAILOVER)"
  at "$MY_IP" cluster failover >/dev/null
  wait_until 60 "$POLL" is_master || { log "failover did not complete"; return 1; }
  log "layout restored: this node is a master again"
}
link_up() { { at "$MY_IP" info replication 2>/dev/null || true; } | tr -d '\r' | grep -q '^master_link_status:up'; }
is_master() { [ "$(role_of "$MY_IP")" = "master" ]; }

# Node 0 only. Masters are created without replicas (redis-cli would pair them ignoring AZs),
# then each planned replica is attached to its planned master. Each step is skipped when done.
form_cluster() {
  local ip pair replica master master_id addrs=()
  if ! member; then
    # Only when no node is in a cluster yet (ok_peer found none): safe to create from scratch.
    for ip in "${MASTERS[@]}"; do addrs+=("$ip:$PORT"); done
    log "creating the cluster with masters ${MASTERS[*]}"
    rcli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes
  fi
  wait_until 60 "$POLL" cluster_ok "$MY_IP" || {
    log "cluster did not reach cluster_state:ok"
    return 1
  }
  for pair in "${REPLICA_PLAN[@]}"; do
    read -r replica master <<<"$pair"
    if [ "$(known_nodes "$replica")" -gt 1 ]; then continue; fi
    master_id="$(id_of "$master")"
    log "adding $replica as a replica of $master ($master_id)"
    rcli --cluster add-node "$replica:$PORT" "$MY_IP:$PORT" --cluster-slave --cluster-master-id "$master_id"
  done
  wait_until 60 "$POLL" all_known || log "warning: not every node is known yet"
}
all_known() { [ "$(known_nodes "$MY_IP")" -ge "${#NODES[@]}" ]; }

# A node that replaced a lost one with a blank volume (same ENI, so same IP, but a new identity):
# the survivors still list the old identity. Forget it everywhere, then join the planned shard.
rejoin() {
  local peer=$1 master_id
  log "a cluster exists without this node: it replaced a lost node, rejoining"
  forget_ghosts
  master_id="$(shard_master_id "$(planned_master_of "$MY_IP")")" || {
    log "no live member of this node's planned shard"
    return 1
  }
  rcli --cluster add-node "$MY_IP:$PORT" "$peer:$PORT" --cluster-slave --cluster-master-id "$master_id"
  wait_until 60 "$POLL" member
}

# ---- cluster membership ------------------------------------------------------------------------
wait_until 60 "$POLL" is_up "$MY_IP" || {
  log "local Redis did not start"
  exit 1
}

settle() {
  forget_ghosts
  restore_layout
}

if member; then
  # Already in the cluster: a re-run, or a replacement that kept its data volume (and with it
  # nodes.conf). Node 0 resumes any replica attachment a failed run left out.
  log "already a cluster member"
  if [ "$NODE_INDEX" -eq 0 ]; then form_cluster; fi
  settle
  exit 0
fi

waited=0
for ((attempt = 1; attempt <= 120; attempt++)); do
  if member; then
    log "joined the cluster"
    settle
    exit 0
  fi
  if peer="$(ok_peer)"; then
    if [ "$waited" -ge "$REJOIN_GRACE" ]; then
      rejoin "$peer" || {
        log "rejoin failed"
        exit 1
      }
      log "rejoined the cluster"
      settle
      exit 0
    fi
    waited=$((waited + POLL))
  elif [ "$NODE_INDEX" -eq 0 ] && all_up; then
    form_cluster
    log "cluster formed"
    exit 0
  fi
  sleep "$POLL"
done
log "gave up: the cluster was not formed"
exit 1
