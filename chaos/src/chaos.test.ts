/**
 * The chaos suite (`make chaos`; short inside `make test`, CHAOS_LONG=1 for the long
 * sizes): each scenario runs a real stack on loopback — its own redis-server, the
 * control plane, worker processes — submits over HTTP, injects one kind of fault and
 * then checks from Redis and the handlers' ledger that every acknowledged job is
 * final, none lost or stuck, none committed twice, and none run again without a
 * reason (see chaos-verdict.ts). A table of every scenario is printed at the end
 * and written to chaos/results/latest.md. CHAOS_SEED fixes the random choices.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { nodeServing, queueKeys } from "@rqueue/shared";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { startRedisCluster, startRedisServer } from "../../shared/test/redis-harness.js";
import { ChaosStack } from "./chaos-stack.js";
import {
  type ChaosRow,
  completedTwiceInStream,
  formatTable,
  judge,
  successfulRuns,
} from "./chaos-verdict.js";
import { startPausableProxy } from "./pausable-proxy.js";
import { sleep, waitFor } from "./wait.js";

const LONG = process.env.CHAOS_LONG === "1";
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 100_000);
const LEASE_MS = 1_000;
const rows: ChaosRow[] = [];
let cleanup: (() => Promise<void>)[] = [];

/** Small deterministic generator, so CHAOS_SEED replays a run's choices. */
let state = SEED;
const random = () => {
  state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
  return state / 2_147_483_648;
};
/** 10 % of jobs fail every attempt (dead-lettered after retries); the rest work a few ms. */
const mix = (ms: number) => () =>
  random() < 0.1 ? { ms, fail: true } : { ms: Math.round(ms * (0.5 + random())) };

async function open(options: { appendfsync?: "always" | "everysec"; queue: string }) {
  const server = await startRedisServer({ appendonly: true, appendfsync: options.appendfsync ?? "always" });
  const stack = new ChaosStack({ redisUrl: server.url, queue: options.queue, leaseMs: LEASE_MS });
  cleanup.push(async () => {
    await stack.stop();
    await server.stop();
  });
  await stack.start();
  return { server, stack };
}

function record(row: ChaosRow, strict = true): void {
  rows.push(row);
  expect(row.stuck, row.note).toBe(0);
  // A write the API answered 503 must never apply afterwards (issue 12, defect 4), in any scenario.
  expect(row.writtenAfterRefusal, row.note).toBe(0);
  if (!strict) return;
  expect(row.lost, row.note).toBe(0);
  expect(row.doubleCommitted, row.note).toBe(0);
  expect(row.unexplained, row.note).toBe(0);
}

afterEach(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
  cleanup = [];
});

afterAll(() => {
  const table = `Chaos run ${new Date().toISOString()} (seed ${SEED}, ${LONG ? "long" : "short"})\n\n${formatTable(rows)}\n`;
  process.stdout.write(`\n${table}\n`);
  mkdirSync(new URL("../results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("../results/latest.md", import.meta.url), table);
});

describe(`chaos (seed ${SEED})`, () => {
  it("kill -9 workers at random during a run", async () => {
    const jobs = LONG ? 20_000 : 6_000;
    const kills = LONG ? 20 : 3;
    const { stack } = await open({ queue: "chaos-kill" });
    await stack.startSupervisor(3);
    // Load goes on for 2 s past the last kill, so recovery is measured under load.
    let stopAt = Number.POSITIVE_INFINITY;
    const submitting = stack.submit(jobs, mix(300), {
      paceMs: LONG ? 100 : 50,
      until: () => Date.now() > stopAt,
    });
    let lastFault = Date.now();
    for (let i = 0; i < kills; i++) {
      await sleep(300 + random() * 700);
      const pids = stack.workerPids();
      const victim = pids[Math.floor(random() * pids.length)];
      if (victim !== undefined) stack.signal(victim, "SIGKILL");
      lastFault = Date.now();
      // The supervisor restarts it; the next kill waits for a full pool again.
      await waitFor(() => stack.workerPids().length >= 3, 30_000, "the supervisor to restart a worker");
    }
    stopAt = Date.now() + 2_000;
    await submitting;
    const row = await judge(stack, `kill -9 ${kills} workers (of 3, supervised)`, lastFault, 120_000);
    row.note = `killed pids ${[...stack.faultedPids.keys()].join(", ")}${row.note ? `; ${row.note}` : ""}`;
    record(row);
  });

  for (const fsync of ["always", "everysec"] as const) {
    it(`kill -9 Redis and restart it (AOF ${fsync})`, async () => {
      const { server, stack } = await open({ queue: `chaos-redis-${fsync}`, appendfsync: fsync });
      await Promise.all([stack.startWorker(), stack.startWorker()]);
      const first = stack.submit(LONG ? 5_000 : 800, mix(5), { paceMs: 20 });
      await waitFor(() => stack.acked.size >= (LONG ? 2_000 : 300), 60_000, "jobs to be acknowledged");
      const killedAt = Date.now();
      await server.kill();
      await sleep(500);
      await server.start();
      const restartedAt = Date.now();
      await first;
      await stack.submit(LONG ? 2_000 : 200, mix(5));
      const row = await judge(stack, `kill -9 Redis, restart (AOF ${fsync})`, restartedAt, 90_000);
      if (fsync === "everysec") {
        const lostAt = row.lostIds.map((id) => stack.acked.get(id) ?? killedAt);
        const window = lostAt.length ? killedAt - Math.min(...lostAt) : 0;
        row.note = `loss window: ${row.lost} acknowledged jobs lost, acknowledged up to ${window} ms before the kill; ${row.doubleCommitted} completions lost and redone${row.note ? `; ${row.note}` : ""}`;
      }
      record(row, fsync === "always");
    });
  }

  it("freeze Redis (SIGSTOP) past a lease", async () => {
    const { server, stack } = await open({ queue: "chaos-redis-freeze" });
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    const submitting = stack.submit(LONG ? 5_000 : 800, mix(20), { paceMs: 20 });
    await waitFor(() => stack.acked.size >= 200, 60_000, "jobs to be acknowledged");
    server.freeze();
    await sleep(LEASE_MS * 3);
    server.thaw();
    const thawedAt = Date.now();
    await submitting;
    record(await judge(stack, `freeze Redis ${LEASE_MS * 3} ms`, thawedAt));
  });

  it("freeze a worker (SIGSTOP) past its leases", async () => {
    const { stack } = await open({ queue: "chaos-worker-freeze" });
    const [victim] = await Promise.all([stack.startWorker(), stack.startWorker()]);
    const submitting = stack.submit(LONG ? 5_000 : 800, mix(50), { paceMs: 20 });
    await waitFor(() => stack.acked.size >= 200, 60_000, "jobs to be acknowledged");
    stack.signal(victim.pid, "SIGSTOP");
    await sleep(LEASE_MS * 4);
    stack.signal(victim.pid, "SIGCONT");
    const thawedAt = Date.now();
    await submitting;
    record(await judge(stack, `freeze a worker ${LEASE_MS * 4} ms`, thawedAt));
  });

  it("scale in under load (graceful SIGTERM to all workers but one)", async () => {
    const pool = LONG ? 10 : 4;
    const { stack } = await open({ queue: "chaos-scale-in" });
    const workers = await Promise.all(
      Array.from({ length: pool }, () => stack.startWorker({ RQ_DRAIN_TIMEOUT_MS: "300" })),
    );
    const submitting = stack.submit(LONG ? 5_000 : 600, mix(150), { paceMs: 20 });
    await waitFor(() => stack.acked.size >= 300, 60_000, "jobs to be acknowledged");
    for (const worker of workers.slice(1)) worker.child.kill("SIGTERM");
    await Promise.all(workers.slice(1).map((worker) => worker.exited));
    const scaledAt = Date.now();
    await submitting;
    record(await judge(stack, `scale in ${pool} → 1 (drain 300 ms)`, scaledAt, 120_000));
  });

  it("a handler that hangs and one that blocks the event loop", async () => {
    const { stack } = await open({ queue: "chaos-hang" });
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    let i = 0;
    const payload = () => {
      i++;
      if (i % 100 === 1) return { hang: true };
      if (i % 100 === 51) return { blockMs: LEASE_MS * 3 };
      return { ms: 10 };
    };
    const startedAt = Date.now();
    await stack.submit(LONG ? 3_000 : 200, payload, { maxAttempts: 2 });
    // The long size has 30 handlers that block a worker's loop 3 s per attempt (two each):
    // draining it takes longer than 90 s on two workers.
    record(
      await judge(stack, "hanging and event-loop-blocking handlers", startedAt, LONG ? 300_000 : 90_000),
    );
  });

  it("Cluster: the queue's master frozen past the leases, then killed -9 and restarted", async () => {
    // No replicas in the local Cluster: the master comes back from its own AOF (fsync always)
    // within the node timeout, so the others never mark it failed.
    const cluster = await startRedisCluster({
      extraArgs: ["--appendonly", "yes", "--appendfsync", "always"],
    });
    const stack = new ChaosStack({ redisUrl: cluster.url, queue: "chaos-cluster", leaseMs: LEASE_MS });
    cleanup.push(async () => {
      await stack.stop();
      await cluster.stop();
    });
    await stack.start();
    await Promise.all([stack.startWorker(), stack.startWorker()]);
    await stack.redis.exists(queueKeys("chaos-cluster").meta);
    const address = nodeServing(stack.redis, queueKeys("chaos-cluster").meta);
    const master = cluster.nodes.find((node) => `${node.host}:${node.port}` === address);
    if (!master) throw new Error(`no node of the cluster serves the queue (client says ${address})`);
    const submitting = stack.submit(LONG ? 5_000 : 600, mix(20), { paceMs: 20 });
    await waitFor(() => stack.acked.size >= 200, 60_000, "jobs to be acknowledged");
    master.freeze();
    await sleep(LEASE_MS * 3);
    master.thaw();
    await sleep(1_000);
    await master.kill();
    await sleep(300);
    await master.start();
    const healedAt = Date.now();
    await submitting;
    record(await judge(stack, `Cluster: master frozen ${LEASE_MS * 3} ms, then kill -9`, healedAt, 90_000));
  });

  // Long run only for now: with RQ_SUBMIT_REPLICAS (which closed the loss of a job a
  // thawed old master acknowledged) 3 of 3 runs had submissions answered 500 (a bare MOVED,
  // now a 503); one run since passed, too few to let CI depend on it.
  it.runIf(LONG)(
    "Cluster 3+3: the queue's master frozen until its replica takes over, then the new master killed -9",
    async () => {
      // As infra configures it (full coverage, a master refuses writes without a replica in
      // sync), with a shorter node timeout; workers WAIT for a replica on every report, and
      // so does the API on every submission (without it, a thawed old master acknowledged a
      // job its demotion then discarded: 2 of 10 runs lost one). A submission no replica
      // confirmed is answered 503 and sent again with the same idempotency keys.
      const nodeTimeoutMs = 2_000;
      const cluster = await startRedisCluster({
        replicas: 1,
        nodeTimeoutMs,
        extraArgs: [
          ...["--appendonly", "yes", "--appendfsync", "everysec"],
          ...["--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"],
        ],
      });
      const queue = "chaos-failover";
      const stack = new ChaosStack({
        redisUrl: cluster.url,
        queue,
        leaseMs: LEASE_MS,
        workerEnv: { RQ_SETTLE_REPLICAS: "1" },
        controlPlaneEnv: { RQ_SUBMIT_REPLICAS: "1" },
      });
      cleanup.push(async () => {
        await stack.stop();
        await cluster.stop();
      });
      await stack.start();
      const servedBy = async (name: string) => {
        await stack.redis.exists(queueKeys(name).meta);
        return nodeServing(stack.redis, queueKeys(name).meta);
      };
      const home = await servedBy(queue);
      let other = "";
      for (let i = 0; !other; i++) {
        if ((await servedBy(`chaos-other-${i}`)) !== home) other = `chaos-other-${i}`;
      }
      // A queue on another shard, served by the same workers: it must keep going.
      const otherStack = new ChaosStack({ redisUrl: cluster.url, queue: other, leaseMs: LEASE_MS }, stack);
      cleanup.push(() => otherStack.stop());
      await otherStack.start();
      await Promise.all([0, 1].map(() => stack.startWorker({ RQ_QUEUES: `${queue},${other}` })));
      const master = cluster.nodes.find((node) => `${node.host}:${node.port}` === home);
      const replicaPort = master && (await cluster.role(master))?.replicaPorts[0];
      const replica = cluster.nodes.find((node) => node.port === replicaPort);
      if (!master || !replica)
        throw new Error(`no master with a replica serves the queue (client says ${home})`);

      let stopAt = Number.POSITIVE_INFINITY;
      const until = () => Date.now() > stopAt;
      const submitting = Promise.all(
        [stack, otherStack].map((target) =>
          target.submit(LONG ? 100_000 : 20_000, mix(20), { batch: 10, paceMs: 50, until, idempotent: true }),
        ),
      );
      const acceptsMore = (target: ChaosStack, what: string) => {
        const from = target.acked.size;
        return waitFor(() => target.acked.size >= from + 100, 60_000, what);
      };
      await acceptsMore(stack, "jobs to be acknowledged");
      await acceptsMore(otherStack, "jobs on the other shard to be acknowledged");

      // A hung master: its replica is promoted; thawed, the old master is demoted.
      const frozenAt = Date.now();
      master.freeze();
      await cluster.waitForRole(replica, "master", { timeoutMs: 60_000 });
      const promotedAt = Date.now();
      master.thaw();
      await cluster.waitForRole(master, "replica", { masterPort: replica.port, timeoutMs: 60_000 });
      await acceptsMore(stack, "jobs to be acknowledged after the first failover");
      // A crashed master: the old one takes over again; the killed one rejoins as its replica.
      const killedAt = Date.now();
      await replica.kill();
      await cluster.waitForRole(master, "master", { timeoutMs: 60_000 });
      const repromotedAt = Date.now();
      await replica.start();
      await cluster.waitForRole(replica, "replica", { masterPort: master.port, timeoutMs: 60_000 });
      const healedAt = Date.now();
      await acceptsMore(stack, "jobs to be acknowledged after the second failover");
      stopAt = Date.now() + 1_000;
      await submitting;

      const row = await judge(
        stack,
        "Cluster 3+3: master frozen → failover, kill -9 → failover",
        healedAt,
        120_000,
      );
      const otherRow = await judge(otherStack, "  … another shard's queue, same workers", healedAt, 120_000);
      // The replica-ack window of each fault: an outcome no replica acknowledged is sent
      // again for one lease (RQ_SETTLE_REPLICAS), so a completion reported up to a lease
      // before a fault, or during it, may not survive it, and then the job runs again.
      const inWindow = (at: number) =>
        (at >= frozenAt - LEASE_MS && at <= promotedAt + LEASE_MS) ||
        (at >= killedAt - LEASE_MS && at <= healedAt + LEASE_MS);
      const ranTwice = [...successfulRuns(stack)].filter(([, runs]) => runs.length > 1);
      const ranTwiceOutside = ranTwice.filter(([, runs]) => !inWindow((runs[0] as { end: number }).end));
      const committedTwice = await completedTwiceInStream(stack);
      const otherEnds = [...successfulRuns(otherStack).values()]
        .flat()
        .map((run) => run.end)
        .filter((end) => end >= frozenAt && end <= healedAt)
        .sort((a, b) => a - b);
      const otherPause = Math.max(
        0,
        ...[frozenAt, ...otherEnds, healedAt].map((at, i, all) =>
          i === 0 ? 0 : at - (all[i - 1] as number),
        ),
      );
      const statuses = [...new Set([...stack.refused.keys(), ...otherStack.refused.keys()])];
      row.note = [
        `failover after freeze ${promotedAt - frozenAt} ms, after kill ${repromotedAt - killedAt} ms (node timeout ${nodeTimeoutMs} ms)`,
        `ran to completion twice: ${ranTwice.length} (outside the replica-ack window: ${ranTwiceOutside.length})`,
        `completed twice in the surviving stream: ${committedTwice.length}`,
        ...ranTwiceOutside
          .slice(0, 5)
          .map(
            ([id, runs]) =>
              `${id} ran at ${runs.map((run) => `${run.start - frozenAt}..${run.end - frozenAt}`).join(", ")} ms from the freeze`,
          ),
        `faults at +0 (freeze), +${promotedAt - frozenAt} (promoted), +${killedAt - frozenAt} (kill), +${healedAt - frozenAt} ms (healed)`,
        ...row.lostIds
          .slice(0, 5)
          .map(
            (id) =>
              `${id} lost, acknowledged at +${(stack.acked.get(id) ?? 0) - frozenAt} ms; events ${(stack.events.get(id) ?? []).map((e) => `${e.event}@+${e.at - frozenAt}`).join(" ")}`,
          ),
        `other shard's longest pause between completions: ${otherPause} ms`,
        ...(row.note ? [row.note] : []),
      ].join("; ");
      record(row, false);
      record(otherRow);
      expect(row.lost, row.note).toBe(0);
      expect(row.unexplained, row.note).toBe(0);
      expect(committedTwice, row.note).toEqual([]);
      expect(
        ranTwiceOutside.map(([id]) => id),
        row.note,
      ).toEqual([]);
      // Refusals are 503 "retry shortly" only: never a 500, never no answer.
      expect(
        statuses.filter((status) => status !== 503),
        row.note,
      ).toEqual([]);
      // The other shard stops only while the whole cluster is down (full coverage): from
      // the failed master's FAIL flag to its replica's promotion, well under the outage.
      expect(otherPause, row.note).toBeLessThan(nodeTimeoutMs * 2);
      expect(otherEnds.length, row.note).toBeGreaterThan(0);
    },
  );

  it("a proxy pauses, then resets, one worker's Redis connections", async () => {
    const { server, stack } = await open({ queue: "chaos-proxy" });
    const proxy = await startPausableProxy(server.url);
    cleanup.push(() => proxy.close());
    await Promise.all([stack.startWorker({ REDIS_URL: proxy.url }), stack.startWorker()]);
    const submitting = stack.submit(LONG ? 5_000 : 800, mix(20), { paceMs: 20 });
    await waitFor(() => stack.acked.size >= 200, 60_000, "jobs to be acknowledged");
    proxy.pause();
    await sleep(LEASE_MS * 3);
    proxy.resume();
    await sleep(500);
    proxy.reset();
    const healedAt = Date.now();
    await submitting;
    record(await judge(stack, `proxy: pause ${LEASE_MS * 3} ms, then reset one worker`, healedAt));
  });
});
