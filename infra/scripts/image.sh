#!/usr/bin/env bash
# `make image`: builds the worker and control-plane images, after checking that a Docker engine
# answers, so a stopped Docker Desktop is one line saying what to do rather than a daemon error.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_docker "make image builds the worker and control-plane images with it"
cd "$REPO_ROOT"
docker build -f worker-image/Dockerfile -t rqueue-worker .
docker build -f control-plane/Dockerfile -t rqueue-control-plane .
