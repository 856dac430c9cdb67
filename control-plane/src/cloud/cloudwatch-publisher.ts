/**
 * Publishes the queue metrics to CloudWatch every interval, from one replica at a
 * time (the holder of a leader lease in Redis). A failed PutMetricData is logged
 * and its datapoints are kept (bounded) and sent again with the next tick; nothing
 * here can crash the server.
 */
import { type CloudWatchClient, type MetricDatum, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { METRIC_NAMESPACE } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";
import type { LeaderLease } from "./leader-lease.js";

/** PutMetricData accepts up to 1,000 datums and 1 MB per call; 500 keeps well inside both. */
const DATUMS_PER_CALL = 500;
/** Unsent datapoints kept for retry (older ones are dropped first). */
const MAX_BACKLOG = 5_000;

export type TickResult = "published" | "not-leader" | "failed";

export interface CloudWatchPublisherOptions {
  client: CloudWatchClient;
  lease: LeaderLease;
  /** The datapoints of one tick, stamped `timestamp`. */
  collect: (timestamp: Date) => Promise<MetricDatum[]>;
  intervalMs: number;
  log: Logger;
  now?: () => number;
}

export class CloudWatchPublisher {
  private unsent: MetricDatum[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  private stopped = false;
  private leader = false;

  constructor(private readonly options: CloudWatchPublisherOptions) {}

  start(): void {
    const loop = async () => {
      await this.tick();
      if (!this.stopped) this.timer = setTimeout(loop, this.options.intervalMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    if (this.leader) await this.options.lease.release().catch(() => undefined);
  }

  /** One round: hold or take the lease, collect, publish. Never throws. */
  tick(): Promise<TickResult> {
    this.running = this.publishOnce();
    return this.running;
  }

  private async publishOnce(): Promise<TickResult> {
    const { client, lease, collect, log } = this.options;
    try {
      const wasLeader = this.leader;
      this.leader = await lease.acquireOrRenew();
      if (this.leader !== wasLeader)
        log.info({ leader: this.leader }, "CloudWatch publisher leadership changed");
      if (!this.leader) {
        this.unsent = [];
        return "not-leader";
      }
      const timestamp = new Date((this.options.now ?? Date.now)());
      this.unsent.push(...(await collect(timestamp)));
      this.unsent = this.unsent.slice(-MAX_BACKLOG);
      while (this.unsent.length > 0) {
        const batch = this.unsent.slice(0, DATUMS_PER_CALL);
        await client.send(new PutMetricDataCommand({ Namespace: METRIC_NAMESPACE, MetricData: batch }));
        this.unsent = this.unsent.slice(batch.length);
      }
      return "published";
    } catch (error) {
      log.warn(
        { err: (error as Error).message, unsent: this.unsent.length },
        "CloudWatch publish failed; will retry next interval",
      );
      return "failed";
    }
  }
}
