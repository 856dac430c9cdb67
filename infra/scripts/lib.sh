# Shared preflight checks for deploy.sh and destroy.sh (sourced, not run).
# Deploying needs Node.js, the Pulumi CLI, AWS credentials and (to build the images) Docker:
# nothing else, so it works from macOS, Fedora or Debian alike (no apt, no local Redis). Each
# check fails with one message that says what is missing and how to fix it, before Pulumi starts.
# Written for bash 3.2 (macOS's /bin/bash): no associative arrays, no ${var,,}, no empty "${a[@]}".

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/.." && pwd)"
STACK="${STACK:-dev}"
STACK_FILE="$INFRA_DIR/Pulumi.$STACK.yaml"
NEED_NODE_MAJOR=20

die() {
  printf '\nerror: %s\n\n' "$1" >&2
  exit 1
}

info() {
  printf '==> %s\n' "$1"
}

require_node() {
  command -v node >/dev/null 2>&1 || die "Node.js is not installed; the Pulumi program runs on Node.js >= $NEED_NODE_MAJOR.
  Install it: brew install node@$NEED_NODE_MAJOR  (macOS), dnf install nodejs  (Fedora),
  or from https://nodejs.org / nvm."
  local major
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -lt "$NEED_NODE_MAJOR" ]; then
    die "Node.js $NEED_NODE_MAJOR or newer is needed (found $(node --version 2>/dev/null || echo none))."
  fi
  command -v npm >/dev/null 2>&1 || die "npm is missing (it ships with Node.js); reinstall Node.js $NEED_NODE_MAJOR."
}

require_pulumi() {
  command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is not installed.
  Install it:  brew install pulumi/tap/pulumi   (or: curl -fsSL https://get.pulumi.com | sh)
  then log in to a state backend: pulumi login   (Pulumi Cloud)
                              or: pulumi login s3://<bucket>   /   pulumi login --local"
  local whoami
  whoami="$(pulumi whoami --verbose --non-interactive 2>/dev/null)" || die "the Pulumi CLI is not logged in to a state backend.
  Run: pulumi login   (Pulumi Cloud), or pulumi login s3://<bucket>, or pulumi login --local"
  PULUMI_BACKEND_URL_SEEN="$(printf '%s\n' "$whoami" | sed -n 's/^Backend URL: *//p' | head -n 1)"
  require_passphrase
}

# Self-managed backends (local files, S3, Azure Blob, GCS) encrypt stack secrets with a passphrase
# unless the stack was created with another secrets provider (awskms://...). Without it every
# Pulumi command that touches a secret stops, so ask for it here, by name.
require_passphrase() {
  case "$PULUMI_BACKEND_URL_SEEN" in
    file://* | s3://* | azblob://* | gs://*) ;;
    *) return 0 ;;
  esac
  if [ -f "$STACK_FILE" ] && grep -q '^secretsprovider:' "$STACK_FILE" && ! grep -q '^secretsprovider: *passphrase' "$STACK_FILE"; then
    return 0
  fi
  if [ -n "${PULUMI_CONFIG_PASSPHRASE:-}" ] || [ -n "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
    return 0
  fi
  die "the Pulumi backend $PULUMI_BACKEND_URL_SEEN encrypts stack secrets with a passphrase, and none is set.
  Export it (keep it in your password manager; it cannot be recovered):
    export PULUMI_CONFIG_PASSPHRASE='<passphrase>'      or   export PULUMI_CONFIG_PASSPHRASE_FILE=<file>
  or create the stack with a KMS key instead:
    pulumi stack init $STACK --secrets-provider awskms://alias/<key> --cwd infra"
}

require_aws_credentials() {
  if command -v aws >/dev/null 2>&1; then
    local account
    if ! account="$(aws sts get-caller-identity --query Account --output text 2>/dev/null)"; then
      die "no usable AWS credentials (aws sts get-caller-identity failed).
  Configure them with 'aws configure' or 'aws sso login', or export AWS_PROFILE /
  AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)."
    fi
    info "AWS account $account"
    return
  fi
  # Without the AWS CLI we cannot test the credentials, only that some are configured.
  if [ -n "${AWS_ACCESS_KEY_ID:-}" ] || [ -n "${AWS_PROFILE:-}" ] || [ -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" ] \
    || [ -n "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" ] || [ -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" ] \
    || [ -f "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" ] || [ -f "${AWS_CONFIG_FILE:-$HOME/.aws/config}" ]; then
    info "AWS credentials configured (install the AWS CLI to have them verified before deploying)"
    return
  fi
  die "no AWS credentials found.
  Export AWS_PROFILE or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or run 'aws configure'."
}

# $1: why Docker is needed (deploy: Pulumi builds the images before pushing them).
require_docker() {
  local why="${1:-Pulumi builds the control-plane and worker images locally (awsx.ecr.Image) before pushing them to ECR}"
  command -v docker >/dev/null 2>&1 || die "Docker is not installed: $why.
  Install Docker (Docker Desktop, Colima or Podman with its docker CLI) and retry."
  docker info >/dev/null 2>&1 || die "no Docker engine is running (docker info failed): $why.
  Start it (open Docker Desktop, or: colima start, or: sudo systemctl start docker) and retry."
}

# The repo's npm dependencies (the Pulumi SDKs, tsx): npm ci from the lock file when missing or
# older than the lock. Never apt, never a local Redis: the program only needs Node packages.
ensure_dependencies() {
  if [ ! -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ] \
    || [ "$REPO_ROOT/package-lock.json" -nt "$REPO_ROOT/node_modules/.package-lock.json" ]; then
    info "Installing npm dependencies (npm ci)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund)
  fi
}

# Selects $STACK; with "create", makes it first if it does not exist yet.
select_stack() {
  if pulumi stack select "$STACK" --cwd "$INFRA_DIR" --non-interactive >/dev/null 2>&1; then
    info "Stack $STACK"
    return
  fi
  [ "${1:-}" = "create" ] || die "stack '$STACK' does not exist in this Pulumi backend (pulumi stack ls --cwd infra)."
  info "Creating stack $STACK"
  pulumi stack init "$STACK" --cwd "$INFRA_DIR" --non-interactive
}

# A key of the stack's configuration, looked up in the stack file without decrypting anything:
# a secret is present when its key is, whatever the passphrase.
stack_has_key() {
  [ -f "$STACK_FILE" ] && grep -Eq "^  \"?$1\"?:" "$STACK_FILE"
}

# The settings without defaults must be present before `pulumi up` (see infra/README.md).
require_stack_config() {
  if ! stack_has_key "aws:region"; then
    local region="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
    if [ -n "$region" ]; then
      info "Setting aws:region to $region from the environment"
      pulumi config set aws:region "$region" --stack "$STACK" --cwd "$INFRA_DIR"
    else
      die "stack '$STACK' has no region. Run: pulumi config set aws:region eu-west-1 --stack $STACK --cwd infra"
    fi
  fi
  require_redis_ami
  local missing="" key
  for key in redisPassword apiKeys; do
    stack_has_key "rqueue:$key" || missing="$missing $key"
  done
  if [ -n "$missing" ]; then
    die "stack '$STACK' is missing secret settings:$missing. Set them (stored encrypted in $(basename "$STACK_FILE")):
  pulumi config set --secret rqueue:redisPassword \"\$(openssl rand -hex 32)\" --stack $STACK --cwd infra
  pulumi config set --secret rqueue:apiKeys \"ops:\$(openssl rand -hex 24):admin\" --stack $STACK --cwd infra"
  fi
}

# rqueue:redisAmi is explicit, so a node replaced next month boots what the others run. A new
# stack gets today's Amazon Linux 2023 AMI pinned (the AWS CLI looks it up); later changes are
# rolled one node at a time with `make roll-redis NODE=<i>`.
require_redis_ami() {
  stack_has_key "rqueue:redisAmi" && return 0
  local arch="x86_64" region ami parameter
  if grep -Eq '^  rqueue:architecture: *arm64' "$STACK_FILE" 2>/dev/null; then arch="arm64"; fi
  parameter="/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-$arch"
  region="$(sed -n 's/^  aws:region: *//p' "$STACK_FILE" 2>/dev/null | head -n 1)"
  region="${region:-${AWS_REGION:-${AWS_DEFAULT_REGION:-}}}"
  if command -v aws >/dev/null 2>&1 \
    && ami="$(aws ssm get-parameter --region "$region" --name "$parameter" --query Parameter.Value --output text 2>/dev/null)" \
    && [ -n "$ami" ]; then
    info "Pinning rqueue:redisAmi to $ami (Amazon Linux 2023, $arch, today's release)"
    pulumi config set rqueue:redisAmi "$ami" --stack "$STACK" --cwd "$INFRA_DIR"
    return 0
  fi
  die "stack '$STACK' has no rqueue:redisAmi (the AMI of the Redis nodes). Look it up and set it:
  aws ssm get-parameter --region ${region:-<region>} --name $parameter --query Parameter.Value --output text
  pulumi config set rqueue:redisAmi <ami-...> --stack $STACK --cwd infra"
}

# The URN of Redis node $1's instance in this stack (project "rqueue", component RedisCluster "redis").
redis_instance_urn() {
  printf 'urn:pulumi:%s::rqueue::rqueue:infra:RedisCluster$aws:ec2/instance:Instance::redis-node-%s' "$STACK" "$1"
}
