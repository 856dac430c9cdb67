/** The archive's and blob store's settings as the control plane reads them. */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../config/config.js";

describe("archive configuration", () => {
  it("is off without RQ_ARCHIVE_URL or RQ_ARCHIVE_DIR", () => {
    expect(loadConfig({}).archive).toBeNull();
    expect(loadConfig({}).blobs).toBeNull();
  });

  it("puts RQ_ARCHIVE_PASSWORD into the URL (ECS injects secrets apart from the URL)", () => {
    const config = loadConfig({
      RQ_ARCHIVE_URL: "postgres://rqueue@db.internal:5432/rqueue?sslmode=no-verify",
      RQ_ARCHIVE_PASSWORD: "p@ss/word",
      RQ_ARCHIVE_RETENTION_DAYS: "14",
    });
    expect(config.archive?.url).toBe(
      "postgres://rqueue:p%40ss%2Fword@db.internal:5432/rqueue?sslmode=no-verify",
    );
    expect(config.archive?.retentionDays).toBe(14);
    expect(config.archive?.runArchiver).toBe(true);
  });

  it("uses the embedded database for RQ_ARCHIVE_DIR, and raises the body limit for the blob store", () => {
    const config = loadConfig({ RQ_ARCHIVE_DIR: "/tmp/a", RQ_BLOB_DIR: "/tmp/b", RQ_ARCHIVER: "0" });
    expect(config.archive).toMatchObject({ url: null, dir: "/tmp/a", runArchiver: false });
    expect(config.blobs?.dir).toBe("/tmp/b");
    expect(config.bodyLimitBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it("lists every bad setting", () => {
    try {
      loadConfig({ RQ_ARCHIVE_URL: "mysql://x", RQ_BLOB_S3_BUCKET: "b", RQ_BLOB_THRESHOLD_BYTES: "ten" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.join("\n")).toContain("RQ_ARCHIVE_URL");
    }
    const problems = (() => {
      try {
        loadConfig({ RQ_BLOB_S3_BUCKET: "b", RQ_BLOB_THRESHOLD_BYTES: "ten" });
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    })();
    expect(problems.some((p) => p.startsWith("AWS_REGION"))).toBe(true);
    expect(problems.some((p) => p.startsWith("RQ_BLOB_THRESHOLD_BYTES"))).toBe(true);
  });
});
