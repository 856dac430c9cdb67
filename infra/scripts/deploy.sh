#!/usr/bin/env bash
# `make deploy`: checks the prerequisites, then `pulumi up` on the selected stack, which builds the
# control-plane and worker images, pushes them to ECR and provisions or updates everything else.
#
#   STACK=prod bash infra/scripts/deploy.sh        # default STACK=dev
#   YES=1 bash infra/scripts/deploy.sh             # no confirmation prompt (implied without a TTY)
#   bash infra/scripts/deploy.sh --target ...      # extra arguments go to `pulumi up`
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_node
ensure_dependencies
require_pulumi
require_aws_credentials
require_docker
select_stack create
require_stack_config

up_args=(--stack "$STACK" --cwd "$INFRA_DIR")
if [[ "${YES:-}" == "1" || ! -t 0 ]]; then
  # CI or an explicit YES=1: nobody can answer the prompt, and `make deploy` was the decision.
  up_args+=(--yes --skip-preview)
fi

info "pulumi up ($STACK): building images and updating the infrastructure"
pulumi up "${up_args[@]}" "$@"

info "Stack outputs"
pulumi stack output --stack "$STACK" --cwd "$INFRA_DIR"
