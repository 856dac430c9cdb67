#!/usr/bin/env bash
# `make deploy`: checks the prerequisites, then `pulumi up` on the selected stack, which builds the
# control-plane and worker images, pushes them to ECR and provisions or updates everything else.
#
#   STACK=prod bash infra/scripts/deploy.sh        # default STACK=dev
#   bash infra/scripts/deploy.sh --yes             # apply without a prompt (also RQ_DEPLOY_YES=1 or YES=1)
#   bash infra/scripts/deploy.sh --target ...      # other arguments go to `pulumi up`
# In a terminal, `pulumi up` shows its preview and asks. Without one (CI, a pipe) nobody can
# answer, so unless --yes says so the script previews, applies nothing and exits 1.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

yes="${RQ_DEPLOY_YES:-${YES:-}}"
pass=()
for arg in "$@"; do
  if [ "$arg" = "--yes" ] || [ "$arg" = "-y" ]; then yes=1; else pass+=("$arg"); fi
done

require_node
ensure_dependencies
require_pulumi
require_aws_credentials
require_docker
select_stack create
require_stack_config

stack_args=(--stack "$STACK" --cwd "$INFRA_DIR")
if [ "$yes" != "1" ] && ! [ -t 0 ]; then
  info "pulumi preview ($STACK): no terminal to confirm in, so nothing will be applied"
  pulumi preview "${stack_args[@]}" ${pass[@]+"${pass[@]}"}
  die "previewed only: without a terminal make deploy applies nothing unless told to.
  Apply with: make deploy ARGS=--yes   (or RQ_DEPLOY_YES=1 make deploy)"
fi
up_args=("${stack_args[@]}")
# An explicit --yes was the decision: no prompt, and no second preview before the update.
if [ "$yes" = "1" ]; then up_args+=(--yes --skip-preview); fi

info "pulumi up ($STACK): building images and updating the infrastructure"
pulumi up "${up_args[@]}" ${pass[@]+"${pass[@]}"}

info "Stack outputs"
pulumi stack output --stack "$STACK" --cwd "$INFRA_DIR"
