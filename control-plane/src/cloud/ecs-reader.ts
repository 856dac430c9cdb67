/**
 * Running/desired worker tasks of the ECS service, for the metrics snapshot.
 * DescribeServices is cached (default 15 s) and single-flight, so dashboards
 * polling every second cost one AWS call per cache period per replica. On an AWS
 * error the last known counts are served, marked stale, and the failure is logged.
 */
import { DescribeServicesCommand, type ECSClient } from "@aws-sdk/client-ecs";
import type { EcsTaskCounts } from "@rqueue/shared";
import type { Logger } from "../logging/logger.js";

export interface EcsReaderOptions {
  client: ECSClient;
  cluster: string;
  service: string;
  cacheMs: number;
  log: Logger;
  now?: () => number;
}

export class EcsReader {
  private last: EcsTaskCounts | null = null;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<EcsTaskCounts | null> | null = null;
  private readonly now: () => number;

  constructor(private readonly options: EcsReaderOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The cached counts, refreshed when older than the cache period; null if never read. */
  read(): Promise<EcsTaskCounts | null> {
    if (this.inFlight) return this.inFlight;
    if (this.now() - this.lastAttemptAt < this.options.cacheMs) return Promise.resolve(this.last);
    this.inFlight = this.refresh().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async refresh(): Promise<EcsTaskCounts | null> {
    const { client, cluster, service, log } = this.options;
    this.lastAttemptAt = this.now();
    try {
      const reply = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
      const found = reply.services?.[0];
      if (!found) {
        const reason = reply.failures?.[0]?.reason ?? "not returned";
        throw new Error(`service ${service} in cluster ${cluster}: ${reason}`);
      }
      this.last = {
        cluster,
        service,
        runningCount: found.runningCount ?? 0,
        desiredCount: found.desiredCount ?? 0,
        pendingCount: found.pendingCount ?? 0,
        fetchedAt: new Date(this.now()).toISOString(),
        stale: false,
      };
    } catch (error) {
      log.warn({ err: (error as Error).message, cluster, service }, "ECS DescribeServices failed");
      if (this.last) this.last = { ...this.last, stale: true };
    }
    return this.last;
  }
}
