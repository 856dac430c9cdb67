import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
  packUserData,
  planRedisCluster,
  REDIS_BUS_PORT,
  REDIS_PORT,
  type RedisUserDataArgs,
  renderRedisConf,
  renderRedisUserData,
} from "./redis-user-data.js";

const IPS = ["10.0.1.10", "10.0.2.10", "10.0.3.10", "10.0.1.11", "10.0.2.11", "10.0.3.11"];
const base: RedisUserDataArgs = {
  nodeIndex: 0,
  nodeIps: IPS,
  replicasPerMaster: 1,
  azCount: 3,
  passwordParameterName: "/rqueue-test/redis-password",
  region: "eu-west-1",
  image: "public.ecr.aws/docker/library/redis:7.2",
  maxmemoryPercent: 70,
  dataVolumeId: "vol-0123456789abcdef0",
  minReplicasToWrite: 1,
  minReplicasMaxLagSeconds: 10,
};

describe("renderRedisConf", () => {
  const conf = renderRedisConf({ minReplicasToWrite: 1, minReplicasMaxLagSeconds: 10 });
  const lines = conf.split("\n");

  it("enables cluster mode", () => {
    expect(lines).toContain("cluster-enabled yes");
    expect(lines).toContain("cluster-config-file nodes.conf");
  });

  it("persists with an AOF fsynced every second", () => {
    expect(lines).toContain("appendonly yes");
    expect(lines).toContain("appendfsync everysec");
  });

  it("never evicts jobs", () => {
    expect(lines).toContain("maxmemory-policy noeviction");
    expect(conf).not.toMatch(/maxmemory-policy (allkeys|volatile)/);
  });

  it("bounds what a cut-off master can acknowledge", () => {
    expect(lines).toContain("min-replicas-to-write 1");
    expect(lines).toContain("min-replicas-max-lag 10");
  });

  it("listens on the node's own address and the standard port", () => {
    const script = renderRedisUserData(base);
    expect(script).toContain(`PORT=${REDIS_PORT}`);
    expect(script).toContain("bind $MY_IP\nport $PORT");
    expect(REDIS_BUS_PORT).toBe(16379);
  });
});

describe("renderRedisUserData", () => {
  const script = renderRedisUserData(base);

  it("embeds the cluster config and adds the password settings at boot", () => {
    expect(script).toContain("cluster-enabled yes");
    expect(script).toContain("appendonly yes");
    expect(script).toContain("appendfsync everysec");
    expect(script).toContain("maxmemory-policy noeviction");
    expect(script).toContain('requirepass "$REDIS_PASSWORD"');
    expect(script).toContain('masterauth "$REDIS_PASSWORD"');
    expect(script).toContain("maxmemory $MAXMEMORY_BYTES");
  });

  it("reads the password from SSM instead of carrying it", () => {
    expect(script).toContain('PASSWORD_PARAMETER="/rqueue-test/redis-password"');
    expect(script).toMatch(/aws ssm get-parameter --region "\$REGION" --name "\$PASSWORD_PARAMETER"/);
    expect(script).toContain("--with-decryption");
    // redis-cli gets it from the environment, never from argv.
    expect(script).toContain('export REDISCLI_AUTH="$REDIS_PASSWORD"');
    expect(script).not.toMatch(/redis-cli[^\n]* -a /);
  });

  it("runs Redis 7 and lists every node", () => {
    expect(script).toContain('REDIS_IMAGE="public.ecr.aws/docker/library/redis:7.2"');
    expect(script).toContain(`NODES=(${IPS.join(" ")})`);
    expect(script).toContain('MY_IP="10.0.1.10"');
    expect(script).toContain("docker run --rm --name redis --network host");
    expect(script).toContain("systemctl enable --now rqueue-redis.service");
  });

  it("forms the cluster only after checking CLUSTER INFO, and only on node 0", () => {
    const create = script.indexOf("--cluster create");
    expect(create).toBeGreaterThan(0);
    // The create sits in form_cluster behind `if ! member`, and form_cluster runs only on node 0
    // once every node answers and no peer already reports cluster_state:ok.
    const formCluster = script.slice(script.indexOf("form_cluster() {"), script.indexOf("rejoin() {"));
    expect(formCluster).toMatch(/if ! member; then[\s\S]*--cluster create/);
    expect(script).toContain("cluster info");
    expect(script).toMatch(/elif \[ "\$NODE_INDEX" -eq 0 \] && all_up; then\s+form_cluster/);
    expect(script).toMatch(/if peer="\$\(ok_peer\)"; then/);
    // Masters first; replicas are attached per the AZ-aware plan.
    expect(script).toContain("MASTERS=(10.0.1.10 10.0.2.10 10.0.3.10)");
    expect(script).toContain("--cluster-replicas 0");
    expect(script).toContain("--cluster-slave --cluster-master-id");
  });

  it("waits for the nodes with bounded retries", () => {
    expect(script).toMatch(/wait_until\(\) \{/);
    expect(script).toContain("for ((attempt = 1; attempt <= 120; attempt++))");
    expect(script).toContain('wait_until 60 "$POLL" is_up "$MY_IP"');
  });

  it("is a valid bash script for every node", () => {
    for (let i = 0; i < IPS.length; i++) {
      const text = renderRedisUserData({ ...base, nodeIndex: i });
      expect(() => execFileSync("bash", ["-n"], { input: text })).not.toThrow();
    }
    const small = renderRedisUserData({ ...base, nodeIps: IPS.slice(0, 3), replicasPerMaster: 0 });
    expect(small).toContain("REPLICA_PLAN=(\n\n)");
    expect(() => execFileSync("bash", ["-n"], { input: small })).not.toThrow();
  });

  it("keeps the node's data on its own volume, found by the volume's device ID", () => {
    expect(script).toContain(
      'DATA_DEVICE="/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0"',
    );
    expect(script).toContain("RequiresMountsFor=/var/lib/redis");
    // Formatted only when blank: a volume restored from a snapshot keeps its data.
    expect(script).toMatch(/if ! blkid "\$ROOT\$DATA_DEVICE"[^\n]*; then\n[^\n]*\n\s+mkfs\.xfs/);
  });

  it("fits EC2's 16 KB user-data limit with room to spare, gzipped as cloud-init accepts it", () => {
    const nine = ["1", "2", "3", "4", "5", "6", "7", "8", "9"].map((n) => `10.0.${n}.100`);
    const text = renderRedisUserData({ ...base, nodeIps: nine, replicasPerMaster: 2 });
    const packed = Buffer.from(packUserData(text), "base64");
    expect(packed.length).toBeLessThan(8 * 1024);
    expect(gunzipSync(packed).toString()).toBe(text);
    expect(() => packUserData(randomBytes(20_000).toString("hex"))).toThrow(/EC2 allows 16384/);
  });

  it("rejects values that could break out of the script", () => {
    expect(() => renderRedisUserData({ ...base, nodeIps: ["10.0.0.1; rm -rf /", ...IPS.slice(1)] })).toThrow(
      /unsafe/,
    );
    expect(() => renderRedisUserData({ ...base, image: "redis:7 $(curl evil)" })).toThrow(/unsafe/);
    expect(() => renderRedisUserData({ ...base, nodeIndex: 6 })).toThrow(/outside/);
  });
});

describe("planRedisCluster", () => {
  const cases: [nodes: number, replicas: number, azs: number][] = [
    [6, 1, 3],
    [6, 1, 2],
    [9, 2, 3],
    [3, 0, 3],
    [8, 1, 3],
  ];

  it.each(cases)(
    "%i nodes, %i replicas each, %i AZs: balanced, and replicas avoid their master's AZ",
    (n, r, azs) => {
      const plan = planRedisCluster(n, r, azs);
      const masters = plan.filter((p) => p.role === "master");
      expect(masters).toHaveLength(n / (r + 1));
      for (const m of masters) {
        const replicas = plan.filter((p) => p.masterIndex === m.index);
        expect(replicas).toHaveLength(r);
        for (const replica of replicas) expect(replica.az).not.toBe(m.az);
      }
      expect(plan.map((p) => p.az)).toEqual(plan.map((p) => p.index % azs));
    },
  );

  it("spreads a master's replicas over different AZs when there are enough", () => {
    const plan = planRedisCluster(9, 2, 3);
    for (const m of plan.filter((p) => p.role === "master")) {
      const azs = plan.filter((p) => p.masterIndex === m.index).map((p) => p.az);
      expect(new Set([m.az, ...azs]).size).toBe(3);
    }
  });

  it("still gives every master its replicas when AZs cannot all differ", () => {
    // Masters sit in AZs 0,1,0 and three replicas in AZ 0 must share the one AZ-1 master's two
    // slots: exactly one same-AZ pair is unavoidable, and only one is made.
    const plan = planRedisCluster(9, 2, 2);
    for (let m = 0; m < 3; m++) expect(plan.filter((p) => p.masterIndex === m)).toHaveLength(2);
    const sameAz = plan.filter((p) => p.role === "replica" && p.az === (p.masterIndex ?? -1) % 2);
    expect(sameAz).toHaveLength(1);
  });

  it("refuses fewer than three masters", () => {
    expect(() => planRedisCluster(4, 1, 2)).toThrow(/3 whole masters/);
    expect(() => planRedisCluster(5, 1, 3)).toThrow();
  });
});
