/**
 * Workers and Cluster connections over TLS: a local 3-master Redis Cluster whose nodes
 * listen with a certificate generated here (openssl, a private CA), with the cluster
 * bus and replication on TLS too, so TLS clients are told the nodes' TLS ports. A real
 * worker process given `rediss-cluster://` and REDIS_TLS_CA_FILE (the CA, not the
 * system's) runs jobs a producer submits over TLS, and its connections are the TLS ones.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { createRedis, Queue, type RedisClient, readCaFile } from "@rqueue/shared";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../shared/test/engine-fixture.js";
import { type RedisClusterHandle, startRedisCluster } from "../../shared/test/redis-harness.js";
import { scratchDirs } from "../../shared/test/scratch-dirs.js";
import { parseConfig } from "./config.js";
import { started, startWorkerProcess, testEnv } from "./testing/worker-process.js";

const scratch = scratchDirs();

/** A CA and a server certificate it signed for 127.0.0.1, as PEM files in `dir`. */
function makeCertificates(dir: string) {
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { stdio: "ignore" });
  openssl(
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=rq test CA"],
    ...["-keyout", file("ca.key"), "-out", file("ca.crt")],
  );
  openssl(
    ...["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1"],
    ...["-keyout", file("redis.key"), "-out", file("redis.csr")],
  );
  execFileSync("sh", [
    "-c",
    `printf 'subjectAltName=IP:127.0.0.1\\nextendedKeyUsage=serverAuth,clientAuth\\n' > '${file("ext.cnf")}'`,
  ]);
  openssl(
    ...["x509", "-req", "-in", file("redis.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key")],
    ...["-CAcreateserial", "-days", "1", "-extfile", file("ext.cnf"), "-out", file("redis.crt")],
  );
  return { certFile: file("redis.crt"), keyFile: file("redis.key"), caFile: file("ca.crt") };
}

let certs: ReturnType<typeof makeCertificates>;
let cluster: RedisClusterHandle;
let tlsUrl: string;
let redis: RedisClient;

beforeAll(async () => {
  certs = makeCertificates(scratch("rq-tls-"));
  cluster = await startRedisCluster({ tls: certs });
  tlsUrl = cluster.tlsUrl as string;
  redis = createRedis(tlsUrl, { tlsCa: readCaFile(certs.caFile) });
});

afterAll(async () => {
  redis?.disconnect();
  await cluster?.stop();
});

describe("Redis Cluster over TLS", () => {
  it("a worker given rediss-cluster:// and REDIS_TLS_CA_FILE runs jobs over TLS connections", {
    timeout: 90_000,
  }, async () => {
    const queue = new Queue({ redis, name: "tls-cluster" });
    const worker = startWorkerProcess(
      testEnv(tlsUrl, { RQ_QUEUES: queue.name, REDIS_TLS_CA_FILE: certs.caFile }),
    );
    await started(worker);
    await queue.addBulk(Array.from({ length: 20 }, () => ({ type: "noop" })));
    await eventually(async () => (await queue.counts()).total.completed === 20, 30_000, 100);

    // Every connection the worker holds to the queue's node came in on the TLS port.
    const tlsPorts = tlsUrl
      .slice("rediss-cluster://".length)
      .split(",")
      .map((hostPort) => hostPort.split(":")[1]);
    let workerConnections = 0;
    for (const node of cluster.nodes) {
      const observer = new Redis(node.url);
      const clients = (await observer.call("CLIENT", "LIST")) as string;
      observer.disconnect();
      for (const line of clients.split("\n").filter((entry) => entry.includes("name=rq-worker-"))) {
        workerConnections++;
        const port = /laddr=127\.0\.0\.1:(\d+)/.exec(line)?.[1];
        expect(tlsPorts).toContain(port);
      }
    }
    expect(workerConnections).toBeGreaterThan(0);
    worker.child.kill("SIGTERM");
    expect((await worker.exited).code).toBe(0);
  });

  it("is refused without the CA: the nodes' certificate is not one the system trusts", async () => {
    const [host, port] = tlsUrl.slice("rediss-cluster://".length).split(",")[0]?.split(":") ?? [];
    const client = new Redis({
      host: host as string,
      port: Number(port),
      tls: {},
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    const refused = new Promise<Error>((resolve) => client.once("error", resolve));
    await client.connect().catch(() => {});
    expect((await refused).message).toMatch(/certificate/);
    client.disconnect();
  });
});

describe("REDIS_TLS_CA_FILE in the worker's configuration", () => {
  it("is refused with a URL without TLS, and when the file holds no certificate", () => {
    const plain = parseConfig({ REDIS_URL: "redis://127.0.0.1:6379", REDIS_TLS_CA_FILE: certs.caFile });
    expect(plain).toEqual({
      ok: false,
      errors: ["REDIS_TLS_CA_FILE: needs a rediss:// or rediss-cluster:// REDIS_URL"],
    });
    const notPem = parseConfig({ REDIS_URL: "rediss://127.0.0.1:6380", REDIS_TLS_CA_FILE: certs.keyFile });
    expect(notPem.ok).toBe(false);
    const missing = parseConfig({
      REDIS_URL: "rediss://127.0.0.1:6380",
      REDIS_TLS_CA_FILE: "/nonexistent.pem",
    });
    expect(missing).toEqual({
      ok: false,
      errors: ["REDIS_TLS_CA_FILE: cannot read /nonexistent.pem (ENOENT)"],
    });
    const ok = parseConfig({ REDIS_URL: "rediss-cluster://127.0.0.1:6380", REDIS_TLS_CA_FILE: certs.caFile });
    expect(ok.ok && ok.config.redisTlsCa).toContain("BEGIN CERTIFICATE");
  });
});
