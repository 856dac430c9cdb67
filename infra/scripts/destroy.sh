#!/usr/bin/env bash
# `make destroy`: tears down every resource of the selected stack (Redis data included). The stack
# itself, its configuration and history stay; remove them with `pulumi stack rm` if wanted.
#
#   STACK=dev bash infra/scripts/destroy.sh        # default STACK=dev; asks for confirmation
#   YES=1 STACK=dev bash infra/scripts/destroy.sh  # required when there is no TTY
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_node
ensure_dependencies
require_pulumi
require_aws_credentials
select_stack

destroy_args=(--stack "$STACK" --cwd "$INFRA_DIR")
if [[ "${YES:-}" == "1" ]]; then
  destroy_args+=(--yes --skip-preview)
elif [[ ! -t 0 ]]; then
  # Unlike deploy, never assume consent for deleting data: it must be spelled out.
  die "refusing to destroy stack '$STACK' without a terminal to confirm on. Re-run with YES=1 to proceed."
fi

info "pulumi destroy ($STACK)"
pulumi destroy "${destroy_args[@]}" "$@"
