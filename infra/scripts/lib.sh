# Shared preflight checks for deploy.sh and destroy.sh (sourced, not run).
# Each check fails with one message that says what is missing and how to fix it, before Pulumi
# starts, so a missing login never surfaces as a stack trace halfway through an update.

INFRA_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REPO_ROOT="$(cd "$INFRA_DIR/.." && pwd)"
STACK="${STACK:-dev}"

die() {
  printf '\nerror: %s\n\n' "$1" >&2
  exit 1
}

info() {
  printf '==> %s\n' "$1"
}

require_pulumi() {
  command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is not installed.
  Install it:  curl -fsSL https://get.pulumi.com | sh   (or: brew install pulumi/tap/pulumi)
  then log in to a state backend: pulumi login   (Pulumi Cloud)
                              or: pulumi login s3://<bucket>   /   pulumi login --local"
  pulumi whoami --non-interactive >/dev/null 2>&1 || die "the Pulumi CLI is not logged in to a state backend.
  Run: pulumi login   (Pulumi Cloud), or pulumi login s3://<bucket>, or pulumi login --local"
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
  if [[ -n "${AWS_ACCESS_KEY_ID:-}" || -n "${AWS_PROFILE:-}" || -n "${AWS_WEB_IDENTITY_TOKEN_FILE:-}" \
    || -n "${AWS_CONTAINER_CREDENTIALS_FULL_URI:-}" || -n "${AWS_CONTAINER_CREDENTIALS_RELATIVE_URI:-}" \
    || -f "${AWS_SHARED_CREDENTIALS_FILE:-$HOME/.aws/credentials}" || -f "${AWS_CONFIG_FILE:-$HOME/.aws/config}" ]]; then
    info "AWS credentials configured (install the AWS CLI to have them verified before deploying)"
    return
  fi
  die "no AWS credentials found.
  Export AWS_PROFILE or AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY, or run 'aws configure'."
}

require_docker() {
  command -v docker >/dev/null 2>&1 || die "Docker is not installed: Pulumi builds the control-plane and worker
  images locally (awsx.ecr.Image) before pushing them to ECR. Install Docker (with buildx) and retry."
  docker info >/dev/null 2>&1 || die "the Docker daemon is not reachable (docker info failed). Start Docker and retry."
}

ensure_dependencies() {
  if [[ ! -d "$REPO_ROOT/node_modules/@pulumi/pulumi" ]]; then
    info "Installing npm dependencies (npm ci)"
    (cd "$REPO_ROOT" && npm ci)
  fi
}

# Selects $STACK; with "create", makes it first if it does not exist yet.
select_stack() {
  if pulumi stack select "$STACK" --cwd "$INFRA_DIR" --non-interactive >/dev/null 2>&1; then
    info "Stack $STACK"
    return
  fi
  [[ "${1:-}" == "create" ]] || die "stack '$STACK' does not exist in this Pulumi backend (pulumi stack ls --cwd infra)."
  info "Creating stack $STACK"
  pulumi stack init "$STACK" --cwd "$INFRA_DIR" --non-interactive
}

# The settings without defaults must be present before `pulumi up` (see infra/README.md).
require_stack_config() {
  local cfg=(--stack "$STACK" --cwd "$INFRA_DIR")
  if ! pulumi config get aws:region "${cfg[@]}" >/dev/null 2>&1; then
    if [[ -n "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" ]]; then
      info "Setting aws:region to ${AWS_REGION:-$AWS_DEFAULT_REGION} from the environment"
      pulumi config set aws:region "${AWS_REGION:-$AWS_DEFAULT_REGION}" "${cfg[@]}"
    else
      die "stack '$STACK' has no region. Run: pulumi config set aws:region eu-west-1 --stack $STACK --cwd infra"
    fi
  fi
  local missing=()
  local key
  for key in redisPassword apiKeys; do
    pulumi config get "rqueue:$key" "${cfg[@]}" >/dev/null 2>&1 || missing+=("$key")
  done
  if ((${#missing[@]} > 0)); then
    die "stack '$STACK' is missing secret settings: ${missing[*]}. Set them (stored encrypted):
  pulumi config set --secret rqueue:redisPassword \"\$(openssl rand -hex 32)\" --stack $STACK --cwd infra
  pulumi config set --secret rqueue:apiKeys \"ops:\$(openssl rand -hex 24):admin\" --stack $STACK --cwd infra"
  fi
}
