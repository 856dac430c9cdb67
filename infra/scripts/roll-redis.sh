#!/usr/bin/env bash
# `make roll-redis NODE=<i>`: replaces Redis node i alone with the current rqueue:redisAmi and
# bootstrap. Its data volume and network interface move to the new instance, whose bootstrap
# rejoins the cluster and takes its planned role back (infra/README.md, "Rolling the Redis nodes").
# Roll one node, wait for cluster_state:ok, then the next.
#
#   NODE=3 STACK=prod bash infra/scripts/roll-redis.sh     # YES=1 to skip the prompt
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

case "${NODE:-}" in
  '' | *[!0-9]*) die "name the node to roll: make roll-redis NODE=<index> [STACK=$STACK]" ;;
esac

require_node
ensure_dependencies
require_pulumi
require_aws_credentials
select_stack

urn="$(redis_instance_urn "$NODE")"
up_args=(--stack "$STACK" --cwd "$INFRA_DIR" --target "$urn" --target-dependents --replace "$urn")
if [[ "${YES:-}" == "1" ]]; then
  up_args+=(--yes --skip-preview)
elif [[ ! -t 0 ]]; then
  die "refusing to replace Redis node $NODE without a terminal to confirm on. Re-run with YES=1 to proceed."
fi

info "Replacing Redis node $NODE ($STACK); the other nodes are untouched"
# The program lifts its "never replace a Redis node" guard for this node alone.
RQ_ROLL_REDIS_NODE="$NODE" pulumi up "${up_args[@]}" "$@"

info "Node $NODE replaced. Wait for its bootstrap to finish and cluster_state:ok before the next node"
echo "  (infra/README.md, Runbook: checking the cluster from a node)"
