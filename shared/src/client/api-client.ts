/**
 * A typed client for R-queue's HTTP API, for browsers and Node alike (it needs
 * only `fetch`): the dashboard uses it, and so can any producer or tool. Request
 * and response types come from the contract, so the client cannot drift from
 * the API. Every non-2xx answer becomes an `ApiRequestError` with the API's code,
 * message and field issues.
 */
import type {
  ApiErrorBody,
  BenchmarkInput,
  BenchmarkRun,
  DeadLetterGroupsResponse,
  DeadLetterPurgeResponse,
  DeadLetterRetryResponse,
  GroupWeightResponse,
  JobLogsResponse,
  MetricsSnapshot,
  Operation,
  OperationInput,
  QueueFlowResponse,
  QueueSettingsResponse,
  QueuesResponse,
  ReplayInput,
  SessionInfo,
  StatsHistory,
  StatsWindow,
  SubmitBatchResponse,
  TypesResponse,
  WorkersResponse,
} from "../api/api-types.js";
import type { CircuitBreakerStatus } from "../circuit-breaker/circuit-breaker.js";
import type { FieldIssue } from "../errors.js";
import type { Job } from "../job.js";
import type { JobPage } from "../queue/list-jobs.js";
import type { JobGraph } from "../queue/read-job.js";
import type { SchedulePage } from "../schedules/queue-schedules.js";
import type { Schedule } from "../schedules/schedule-view.js";
import type { FlowRule, FlowScope } from "../schemas/flow-limits.js";
import type { JobInput } from "../schemas/job-input.js";
import type { JobState } from "../schemas/job-state.js";
import type { ScheduleInput, ScheduleUpdate } from "../schemas/schedule-input.js";

export interface ApiClientOptions {
  /** Where the control plane answers; "" (same origin) by default. */
  baseUrl?: string;
  /** The API key, or a function read before every request (so a UI can change it). */
  apiKey?: string | null | (() => string | null);
  fetch?: typeof fetch;
}

export interface ListJobsQuery {
  queue?: string;
  /** Every state when left out. */
  state?: JobState;
  type?: string;
  priority?: number;
  limit?: number;
  cursor?: string;
}

/** A non-2xx answer. `status` 0 means the server could not be reached at all. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
    /** Seconds from Retry-After (503 while Redis is unreachable). */
    readonly retryAfterSeconds: number | null = null,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

const queryString = (query: Query = {}) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
};

const path = (id: string) => encodeURIComponent(id);

/** The path of a flow rule's scope under /v1/queues/:queue/flow. */
const flowRulePath = (queue: string, scope: FlowScope) =>
  scope.scope === "queue"
    ? `/v1/queues/${path(queue)}/flow/rule`
    : `/v1/queues/${path(queue)}/flow/types/${path(scope.type)}/${scope.scope === "type" ? "rule" : "group-rule"}`;

export class ApiClient {
  private readonly baseUrl: string;
  private readonly fetcher: typeof fetch;
  private readonly apiKey: () => string | null;
  private metricsCache: { key: string; etag: string; body: MetricsSnapshot } | null = null;

  constructor(options: ApiClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? "").replace(/\/$/, "");
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const key = options.apiKey;
    this.apiKey = typeof key === "function" ? key : () => key ?? null;
  }

  private async send(method: string, url: string, body?: unknown, headers: Record<string, string> = {}) {
    const key = this.apiKey();
    const init: RequestInit = { method, headers: { ...headers } };
    if (key) (init.headers as Record<string, string>).authorization = `Bearer ${key}`;
    if (body !== undefined) {
      (init.headers as Record<string, string>)["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response: Response;
    try {
      response = await this.fetcher(`${this.baseUrl}${url}`, init);
    } catch (error) {
      throw new ApiRequestError(0, "unreachable", `the API could not be reached: ${String(error)}`);
    }
    if (response.ok || response.status === 304) return response;
    const retryAfter = response.headers.get("retry-after");
    let payload: Partial<ApiErrorBody> = {};
    try {
      payload = (await response.json()) as ApiErrorBody;
    } catch {
      // A proxy's HTML error page: keep the status.
    }
    throw new ApiRequestError(
      response.status,
      payload.error?.code ?? `http_${response.status}`,
      payload.error?.message ?? response.statusText,
      payload.error?.issues ?? [],
      retryAfter ? Number(retryAfter) : null,
    );
  }

  private async json<T>(method: string, url: string, body?: unknown): Promise<T> {
    const response = await this.send(method, url, body);
    return (await response.json()) as T;
  }

  session(): Promise<SessionInfo> {
    return this.json("GET", "/v1/session");
  }

  /** The dashboard snapshot; a 304 (ETag) answers with the copy already held. */
  async metrics(queue?: string): Promise<MetricsSnapshot> {
    const key = queue ?? "";
    const cached = this.metricsCache?.key === key ? this.metricsCache : null;
    const response = await this.send(
      "GET",
      `/v1/metrics${queryString({ queue })}`,
      undefined,
      cached ? { "if-none-match": cached.etag } : {},
    );
    if (response.status === 304 && cached) return cached.body;
    const body = (await response.json()) as MetricsSnapshot;
    const etag = response.headers.get("etag");
    this.metricsCache = etag ? { key, etag, body } : null;
    return body;
  }

  statsHistory(window: StatsWindow, queue?: string): Promise<StatsHistory> {
    return this.json("GET", `/v1/stats/history${queryString({ window, queue })}`);
  }

  listJobs(query: ListJobsQuery): Promise<JobPage> {
    return this.json("GET", `/v1/jobs${queryString({ ...query })}`);
  }

  /** Finished jobs from the archive (GET /v1/search), newest first; see the API docs for the filters. */
  searchJobs(params: Record<string, string | undefined>): Promise<JobPage> {
    return this.json("GET", `/v1/search${queryString(params)}`);
  }

  getJob(id: string): Promise<Job> {
    return this.json("GET", `/v1/jobs/${path(id)}`);
  }

  /** The job without its payload and result (which may be large), for polling a job already held. */
  async getJobSummary(id: string): Promise<Omit<Job, "payload" | "result">> {
    const { omitted: _omitted, ...summary } = await this.json<
      Omit<Job, "payload" | "result"> & { omitted?: string[] }
    >("GET", `/v1/jobs/${path(id)}?omit=payload,result`);
    return summary;
  }

  /** Long poll (GET /v1/jobs/:id/wait): the job once final, or as it is when `timeoutMs` (at most 60 s) passes. */
  waitJob(id: string, timeoutMs?: number): Promise<Job> {
    return this.json("GET", `/v1/jobs/${path(id)}/wait${queryString({ timeoutMs })}`);
  }

  getJobGraph(id: string): Promise<JobGraph> {
    return this.json("GET", `/v1/jobs/${path(id)}/graph`);
  }

  getJobLogs(id: string, page: { offset?: number; limit?: number } = {}): Promise<JobLogsResponse> {
    return this.json("GET", `/v1/jobs/${path(id)}/logs${queryString(page)}`);
  }

  async submitJob(input: JobInput, options: { idempotencyKey?: string } = {}): Promise<Job> {
    const headers: Record<string, string> = options.idempotencyKey
      ? { "idempotency-key": options.idempotencyKey }
      : {};
    return (await (await this.send("POST", "/v1/jobs", input, headers)).json()) as Job;
  }

  submitBatch(jobs: JobInput[]): Promise<SubmitBatchResponse> {
    return this.json("POST", "/v1/jobs/batch", { jobs });
  }

  cancelJob(id: string): Promise<Job> {
    return this.json("POST", `/v1/jobs/${path(id)}/cancel`);
  }

  retryJob(id: string, options: { cascade?: boolean } = {}): Promise<Job> {
    return this.json("POST", `/v1/jobs/${path(id)}/retry`, options);
  }

  async deleteJob(id: string): Promise<void> {
    await this.send("DELETE", `/v1/jobs/${path(id)}`);
  }

  /** A new job from this one, with edits; it records `replayOf`, and the original lists it. */
  replayJob(id: string, edits: ReplayInput = {}): Promise<Job> {
    return this.json("POST", `/v1/jobs/${path(id)}/replay`, edits);
  }

  deadLetterGroups(queue: string): Promise<DeadLetterGroupsResponse> {
    return this.json("GET", `/v1/dead-letter/groups${queryString({ queue })}`);
  }

  retryDeadLetter(filter: { queue: string; type?: string }): Promise<DeadLetterRetryResponse> {
    return this.json("POST", "/v1/dead-letter/retry", filter);
  }

  purgeDeadLetter(filter: { queue: string; type?: string }): Promise<DeadLetterPurgeResponse> {
    return this.json("DELETE", `/v1/dead-letter${queryString(filter)}`);
  }

  queues(): Promise<QueuesResponse> {
    return this.json("GET", "/v1/queues");
  }

  pauseQueue(queue: string): Promise<{ name: string; paused: boolean }> {
    return this.json("POST", `/v1/queues/${path(queue)}/pause`);
  }

  resumeQueue(queue: string): Promise<{ name: string; paused: boolean }> {
    return this.json("POST", `/v1/queues/${path(queue)}/resume`);
  }

  resetBreaker(queue: string, type: string): Promise<CircuitBreakerStatus | null> {
    return this.json("POST", `/v1/queues/${path(queue)}/breakers/${path(type)}/reset`);
  }

  workers(): Promise<WorkersResponse> {
    return this.json("GET", "/v1/workers");
  }

  /** The job types workers registered (one queue's, or every queue's), with schema, workers and counts. */
  types(queue?: string): Promise<TypesResponse> {
    return this.json("GET", `/v1/types${queryString({ queue })}`);
  }

  queueSettings(queue: string): Promise<QueueSettingsResponse> {
    return this.json("GET", `/v1/queues/${path(queue)}/settings`);
  }

  /** `requireRegisteredType: null` returns the queue to the server's default. */
  updateQueueSettings(
    queue: string,
    settings: { requireRegisteredType: boolean | null },
  ): Promise<QueueSettingsResponse> {
    return this.json("PUT", `/v1/queues/${path(queue)}/settings`, settings);
  }

  /** Rate limits and fair queuing: the rules, what they allow now, and the groups per type. */
  flowState(queue: string): Promise<QueueFlowResponse> {
    return this.json("GET", `/v1/queues/${path(queue)}/flow`);
  }

  /** Sets (replacing any) the rule of the queue, a type, or each group of a type; answers the new state. */
  setFlowRule(queue: string, scope: FlowScope, rule: FlowRule): Promise<QueueFlowResponse> {
    return this.json("PUT", flowRulePath(queue, scope), rule);
  }

  removeFlowRule(queue: string, scope: FlowScope): Promise<QueueFlowResponse> {
    return this.json("DELETE", flowRulePath(queue, scope));
  }

  /** A group's weight for fair turns within its type; null resets it to 1. */
  setGroupWeight(
    queue: string,
    type: string,
    group: string,
    weight: number | null,
  ): Promise<GroupWeightResponse> {
    return this.json(
      "PUT",
      `/v1/queues/${path(queue)}/flow/types/${path(type)}/groups/${path(group)}/weight`,
      {
        weight,
      },
    );
  }

  resetGroupWeight(queue: string, type: string, group: string): Promise<GroupWeightResponse> {
    return this.json(
      "DELETE",
      `/v1/queues/${path(queue)}/flow/types/${path(type)}/groups/${path(group)}/weight`,
    );
  }

  createOperation(input: OperationInput): Promise<Operation> {
    return this.json("POST", "/v1/operations", input);
  }

  getOperation(id: string): Promise<Operation> {
    return this.json("GET", `/v1/operations/${path(id)}`);
  }

  listOperations(): Promise<{ operations: Operation[] }> {
    return this.json("GET", "/v1/operations");
  }

  cancelOperation(id: string): Promise<Operation> {
    return this.json("POST", `/v1/operations/${path(id)}/cancel`);
  }

  startBenchmark(input: BenchmarkInput): Promise<BenchmarkRun> {
    return this.json("POST", "/v1/benchmarks", input);
  }

  /** The latest run; `run` is null before the first. */
  currentBenchmark(): Promise<{ run: BenchmarkRun | null }> {
    return this.json("GET", "/v1/benchmarks/current");
  }

  cancelBenchmark(): Promise<{ run: BenchmarkRun | null }> {
    return this.json("POST", "/v1/benchmarks/current/cancel");
  }

  /** One queue's schedules, or every queue's (by queue, then id), with next and last runs. */
  listSchedules(query: { queue?: string; limit?: number; cursor?: string } = {}): Promise<SchedulePage> {
    return this.json("GET", `/v1/schedules${queryString(query)}`);
  }

  getSchedule(queue: string, id: string): Promise<Schedule> {
    return this.json("GET", `/v1/schedules/${path(queue)}/${path(id)}`);
  }

  createSchedule(input: ScheduleInput): Promise<Schedule> {
    return this.json("POST", "/v1/schedules", input);
  }

  updateSchedule(queue: string, id: string, changes: ScheduleUpdate): Promise<Schedule> {
    return this.json("PATCH", `/v1/schedules/${path(queue)}/${path(id)}`, changes);
  }

  pauseSchedule(queue: string, id: string): Promise<Schedule> {
    return this.json("POST", `/v1/schedules/${path(queue)}/${path(id)}/pause`);
  }

  resumeSchedule(queue: string, id: string): Promise<Schedule> {
    return this.json("POST", `/v1/schedules/${path(queue)}/${path(id)}/resume`);
  }

  /** One run now from the template; answers the job's id and the schedule. */
  triggerSchedule(queue: string, id: string): Promise<{ jobId: string; schedule: Schedule }> {
    return this.json("POST", `/v1/schedules/${path(queue)}/${path(id)}/trigger`);
  }

  async deleteSchedule(queue: string, id: string): Promise<void> {
    await this.send("DELETE", `/v1/schedules/${path(queue)}/${path(id)}`);
  }
}
