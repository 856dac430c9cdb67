/**
 * The timer behind the control plane's background rounds: one round at a time
 * (the next is scheduled only after the previous one settled), never keeping the
 * process alive, and `stop()` waits for a round in flight.
 */
export class PeriodicRound {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly round: () => Promise<unknown>,
    private readonly intervalMs: number,
  ) {}

  /** Starts after `firstDelayMs` (default one interval); an interval of 0 or less never starts. */
  start(firstDelayMs = this.intervalMs): void {
    if (this.intervalMs <= 0) return;
    const loop = async () => {
      this.current = this.round().catch(() => undefined);
      await this.current;
      if (!this.stopped) this.schedule(loop, this.intervalMs);
    };
    this.schedule(loop, firstDelayMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }

  private schedule(loop: () => Promise<void>, delayMs: number): void {
    this.timer = setTimeout(loop, delayMs);
    this.timer.unref();
  }
}
