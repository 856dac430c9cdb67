/**
 * ECS task scale-in protection: while the worker runs jobs it asks the ECS
 * agent to protect its task (PUT $ECS_AGENT_URI/task-protection/v1/state), so a
 * scale-in picks idle tasks instead; once idle for `idleReleaseMs` it releases
 * the protection. Protection is renewed before it expires while work goes on,
 * requests are sent one at a time with the latest wanted state, and a failed
 * request is retried after `retryMs` (the job itself never waits for it).
 */

export interface TaskProtectionOptions {
  agentUri: string;
  /** How long one grant lasts; renewed at half of it while busy. */
  expiresInMinutes: number;
  /** Idle time before protection is released, so a short gap between jobs does not flap it. */
  idleReleaseMs?: number;
  retryMs?: number;
  requestTimeoutMs?: number;
  onError(error: unknown, during: string): void;
}

export class TaskProtection {
  private busy = false;
  private protectedUntil = 0;
  private sending: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly idleReleaseMs: number;
  private readonly retryMs: number;

  constructor(private readonly options: TaskProtectionOptions) {
    this.idleReleaseMs = options.idleReleaseMs ?? 1_000;
    this.retryMs = options.retryMs ?? 5_000;
  }

  /** Tells it how many jobs run now; cheap, called on every job start and end. */
  update(activeJobs: number): void {
    const busy = activeJobs > 0;
    if (busy === this.busy || this.stopped) return;
    this.busy = busy;
    this.schedule(busy ? 0 : this.idleReleaseMs);
  }

  /** Releases protection (the worker is leaving) and waits for the request. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.busy = false;
    clearTimeout(this.timer);
    // A request that fails now was reported already; leaving must go on regardless.
    await this.sending?.catch(() => {});
    if (this.protectedUntil > 0)
      await this.send(false).catch((error) => this.options.onError(error, "task-protection"));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reconcile(), delayMs);
  }

  private async reconcile(): Promise<void> {
    if (this.sending || this.stopped) return;
    const renewAt = this.protectedUntil - (this.options.expiresInMinutes * 60_000) / 2;
    const wanted = this.busy && (this.protectedUntil === 0 || Date.now() >= renewAt);
    const release = !this.busy && this.protectedUntil > 0;
    if (wanted || release) {
      this.sending = this.send(this.busy);
      try {
        await this.sending;
      } catch (error) {
        this.options.onError(error, "task-protection");
        this.sending = undefined;
        if (!this.stopped) this.schedule(this.retryMs);
        return;
      }
      this.sending = undefined;
    }
    if (this.stopped) return;
    // The state may have changed while the request was in flight; while busy, renew in time.
    if (this.busy !== this.protectedUntil > 0) this.schedule(this.busy ? 0 : this.idleReleaseMs);
    else if (this.busy)
      this.schedule(this.protectedUntil - (this.options.expiresInMinutes * 60_000) / 2 - Date.now());
  }

  private async send(enabled: boolean): Promise<void> {
    const body = enabled
      ? { ProtectionEnabled: true, ExpiresInMinutes: this.options.expiresInMinutes }
      : { ProtectionEnabled: false };
    const response = await fetch(`${this.options.agentUri.replace(/\/$/, "")}/task-protection/v1/state`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5_000),
    });
    if (!response.ok) {
      throw new Error(`ECS agent answered ${response.status} to task protection: ${await response.text()}`);
    }
    await response.body?.cancel();
    this.protectedUntil = enabled ? Date.now() + this.options.expiresInMinutes * 60_000 : 0;
  }
}
