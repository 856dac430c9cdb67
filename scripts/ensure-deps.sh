#!/usr/bin/env bash
# Installs what a fresh Debian machine lacks for R-queue: npm dependencies (from the
# committed lock file) and, through apt, redis-server/redis-cli, PostgreSQL, promtool
# (Debian's prometheus package) and Chromium (for the dashboard's browser tests). Safe to run every time:
# each step is skipped when already satisfied.
set -euo pipefail
cd "$(dirname "$0")/.."

need_node_major=20
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt "$need_node_major" ]; then
  echo "R-queue needs Node.js >= $need_node_major (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
fi

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
      echo "Missing Debian packages: $*. Install them with: apt-get install -y $*" >&2
      exit 1
    fi
  fi
  echo "==> apt-get install $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  apt_install redis-server redis-tools
fi

# The archive's tests run on a real PostgreSQL: the machine's server, or one the harness starts with initdb.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null 2>&1; then
  apt_install postgresql
fi

# The /metrics tests check each scrape with Prometheus's own parser and linter, promtool.
if ! command -v promtool >/dev/null 2>&1; then
  apt_install prometheus
fi

# The dashboard's end-to-end tests drive Debian's Chromium (playwright-core never downloads a browser).
if [ ! -x "${RQ_CHROMIUM:-/usr/bin/chromium}" ]; then
  apt_install chromium
fi
