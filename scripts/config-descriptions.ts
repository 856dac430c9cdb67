/**
 * One sentence per environment variable for docs/configuration.md (defaults and
 * limits come from the schemas, not from here). A variable added to a schema
 * without a line here fails scripts/test/config-reference.test.ts.
 */

/** Defaults that depend on the machine, described instead of printed. */
export const MACHINE_DEFAULTS: Record<string, string> = {
  RQ_THREADS: "the number of CPUs",
  RQ_HEALTH_FILE: "`<os temp dir>/rqueue-worker.health`",
};

export const DESCRIPTIONS: Record<string, string> = {
  NODE_ENV: "`production` requires `RQ_API_KEYS`.",
  HOST: "Interface the HTTP server binds (unset: 127.0.0.1 while the API is open, every interface once it has keys).",
  PORT: "HTTP port (0: any free port).",
  REDIS_URL:
    "Redis to use; `rediss://` for TLS, `redis-cluster://host:port,host:port` for a Cluster, `rediss-cluster://…` for a Cluster over TLS.",
  REDIS_PASSWORD: "Redis password, kept out of the URL (a secret injected apart, as ECS does).",
  REDIS_TLS_CA_FILE:
    "PEM file of the CA(s) to trust for Redis over TLS (e.g. a private CA), instead of the system's; needs a `rediss://` or `rediss-cluster://` URL.",
  RQ_API_KEYS:
    "`name:secret:role,…` with role `metrics`, `read`, `submit` or `admin`; none: the API is open and everyone is admin.",
  RQ_METRICS_ALLOW:
    "IPs and CIDR ranges (`10.0.0.0/8, ::1`) that may scrape `GET /metrics` without a key (the TCP peer's address).",
  LOG_LEVEL: "pino level; JSON lines off a terminal, pretty lines on one.",
  RQ_BODY_LIMIT_BYTES:
    "Largest request body (default: 1 MiB, or the blob store's limit plus 64 KiB when one is set).",
  RQ_BODY_TIMEOUT_MS: "How long a request body may take to arrive before the answer is 408.",
  RQ_SUBMIT_RATE: "Jobs per second each API key may submit (0: no limit).",
  RQ_SUBMIT_BURST: "Jobs a key may submit at once above its rate (default: a full batch).",
  RQ_STACKS_ROLE: "Least role that sees worker stack traces in job errors; `none` hides them from everyone.",
  RQ_REDIS_TIMEOUT_MS: "Deadline for a request's Redis work before it is answered 503.",
  RQ_MAINTAIN_INTERVAL_MS:
    "How often queue housekeeping runs (expired leases, due jobs, retention); 0 turns it off.",
  RQ_SCHEDULE_INTERVAL_MS:
    "How often this control plane fires the due repeatable and cron schedules of every queue (every replica may: the claim is atomic in Redis); 0 turns it off here.",
  RQ_DASHBOARD_DIR: "The dashboard's build, served at `/` when the folder exists.",
  RQ_SHUTDOWN_TIMEOUT_MS: "How long a graceful shutdown waits for in-flight requests.",
  RQ_CLOUDWATCH: "Publish queue metrics and the scaling signal to CloudWatch (needs `AWS_REGION`).",
  RQ_CLOUDWATCH_INTERVAL_S: "Seconds between CloudWatch publications.",
  AWS_REGION: "AWS region for CloudWatch, ECS and the S3 blob store.",
  AWS_DEFAULT_REGION: "Used when `AWS_REGION` is unset.",
  RQ_AWS_ENDPOINT: "Endpoint override for the AWS clients (e.g. a local S3 or CloudWatch stand-in).",
  RQ_ECS_CLUSTER: "ECS cluster of the workers, to show their tasks; set with `RQ_ECS_SERVICE`.",
  RQ_ECS_SERVICE: "ECS service of the workers (the scaling signal's dimension; `workers` when unset).",
  RQ_ECS_CACHE_MS: "How long an ECS task listing is reused.",
  RQ_ARCHIVE_URL: "PostgreSQL that archives finished jobs (`postgres://…`).",
  RQ_ARCHIVE_PASSWORD: "Archive password, kept out of the URL.",
  RQ_ARCHIVE_DIR: "Embedded PostgreSQL (PGlite) folder for the archive when `RQ_ARCHIVE_URL` is unset.",
  RQ_ARCHIVE_RETENTION_DAYS: "Days the archive keeps a finished job (and blobs live).",
  RQ_ARCHIVER: "Whether this replica runs the archiver (others only serve searches).",
  RQ_ARCHIVE_CLAIM_IDLE_MS: "Idle time after which another archiver takes over unacknowledged events.",
  RQ_ARCHIVE_HOLD_MAX_JOBS:
    "Finished jobs per state and type that retention keeps at most while the archiver catches up.",
  RQ_ARCHIVE_STREAM_MAX_LEN:
    "Length cap of a queue's events stream while archived; entries past it are lost (and counted).",
  RQ_ARCHIVE_HOLD_HOURS: "How long the archive's hold outlives the last archiver that refreshed it.",
  RQ_REQUIRE_REGISTERED_TYPES:
    "Refuse (422) job types no worker has registered, for queues without their own setting.",
  RQ_EVENT_STREAMS_PER_KEY: "Server-Sent Event streams (`GET /v1/events`) one API key may hold open at once.",
  RQ_EVENT_HEARTBEAT_MS: "How often an event stream sends a heartbeat comment.",
  RQ_QUEUE_MAX_BYTES:
    "Memory budget of every queue, in accounted bytes (a per-job estimate plus payloads held in Redis): a submission that would pass it is refused with 429 `queue_full`, nothing written (0: none).",
  RQ_QUEUES: "Queues to serve, `name[:weight],…` (the control plane uses the names for the scaling signal).",
  RQ_WORKER_CONCURRENCY: "The workers' job slots each, for the control plane's scaling signal.",
  RQ_AUTOSCALE_MIN: "Fewest worker processes (per task).",
  RQ_AUTOSCALE_MAX: "Most worker processes (per task).",
  RQ_AUTOSCALE_TARGET_DRAIN_SECONDS: "Scale so the backlog drains within this time.",
  RQ_AUTOSCALE_FALLBACK_JOB_MS: "Run time assumed per job while none has been measured.",
  RQ_BLOB_DIR:
    "Local folder for payloads and results above the threshold (when `RQ_BLOB_S3_BUCKET` is unset).",
  RQ_BLOB_S3_BUCKET: "S3 bucket for large payloads and results (needs `AWS_REGION`).",
  RQ_BLOB_S3_PREFIX: "Key prefix inside the bucket.",
  RQ_BLOB_THRESHOLD_BYTES: "Payloads and results larger than this go to the blob store.",
  RQ_BLOB_MAX_BYTES: "Largest payload or result the blob store takes.",
  RQ_CONCURRENCY: "Jobs one worker process runs at once, shared among its queues by weight.",
  RQ_LEASE_MS: "Lease of a running job; renewed while it runs, recovered when a worker dies.",
  RQ_REDIS_COMMAND_TIMEOUT_MS:
    "A worker's Redis command that gets no answer within this fails (a frozen node stalls only its own queues).",
  RQ_SUBMIT_REPLICAS:
    "Replicas each write of jobs waits for (Redis WAIT) before it is answered 201; when fewer confirm in time the answer is 503 not_replicated (submit again with the same Idempotency-Key). 0: off.",
  RQ_SUBMIT_REPLICAS_TIMEOUT_MS: "How long a submission waits for RQ_SUBMIT_REPLICAS replicas.",
  RQ_SETTLE_REPLICAS:
    "Replicas each report of outcomes waits for (Redis WAIT); unacknowledged outcomes are sent again. 0: off.",
  RQ_SETTLE_REPLICAS_TIMEOUT_MS: "How long a report waits for RQ_SETTLE_REPLICAS replicas.",
  RQ_DRAIN_TIMEOUT_MS: "On SIGTERM, how long running jobs may finish before they are handed back.",
  RQ_HEARTBEAT_MS: "How often the worker registers itself and renews leases' health.",
  RQ_THREADS: 'Size of the worker_threads pool for handlers with `isolation: "thread"`.',
  RQ_HEALTH_FILE: "Touched on every heartbeat; `rqueue-worker --healthcheck` judges liveness by it.",
  RQ_HANDLERS_DIR: "Absolute folder of handler modules to run instead of the built-in ones.",
  ECS_AGENT_URI: "Set by ECS: the agent endpoint for task scale-in protection.",
  ECS_CONTAINER_METADATA_URI_V4: "Set by ECS: the task metadata endpoint (task ARN in the registry).",
  RQ_TASK_PROTECTION_MINUTES: "Scale-in protection requested while jobs run, renewed before it lapses.",
  RQ_CB_FAILURE_RATE: "Circuit breaker: failed share of the window that opens it (types that set none).",
  RQ_CB_MIN_CALLS: "Circuit breaker: calls in the window before it may open.",
  RQ_CB_WINDOW_MS: "Circuit breaker: sliding window length.",
  RQ_CB_COOLDOWN_MS: "Circuit breaker: how long it stays open before half-open probes.",
  RQ_CB_PROBES: "Circuit breaker: probe jobs let through when half-open.",
  RQ_AUTOSCALE_INTERVAL_MS: "How often the supervisor measures the backlog.",
  RQ_AUTOSCALE_SCALE_OUT_COOLDOWN_MS: "Least time between two scale-outs.",
  RQ_AUTOSCALE_SCALE_IN_COOLDOWN_MS: "Least time between two scale-ins.",
  RQ_AUTOSCALE_RESTART_BACKOFF_MS:
    "First delay before restarting a crashed worker process; doubles per crash in a row.",
  RQ_AUTOSCALE_RESTART_BACKOFF_MAX_MS: "Longest delay between restarts of a crashing worker process.",
};
