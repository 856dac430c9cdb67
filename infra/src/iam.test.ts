import { describe, expect, it } from "vitest";
import {
  controlPlaneTaskPolicy,
  ecsServiceArn,
  ecsTasksAssumeRolePolicy,
  executionRolePolicy,
  partitionOf,
  workerTaskPolicy,
} from "./iam.js";

const scope = { partition: "aws", region: "eu-west-1", accountId: "123456789012" };

describe("IAM policy documents", () => {
  it("never grant a wildcard action", () => {
    const documents = [
      controlPlaneTaskPolicy(scope, { metricNamespace: "RQueue", clusterName: "c", serviceNames: ["w"] }),
      workerTaskPolicy(scope, "c"),
      executionRolePolicy({ repositoryArn: "arn:repo", logGroupArn: "arn:lg", secretArns: ["arn:s"] }),
    ];
    for (const doc of documents) {
      for (const statement of doc.Statement) {
        for (const action of ([] as string[]).concat(statement.Action)) expect(action).not.toMatch(/\*/);
      }
    }
  });

  it("allow a Resource of * only where the action has no resource type, and then conditioned", () => {
    const cp = controlPlaneTaskPolicy(scope, {
      metricNamespace: "RQueue",
      clusterName: "c",
      serviceNames: ["w"],
    });
    const open = cp.Statement.filter((s) => s.Resource === "*");
    expect(open.map((s) => s.Action)).toEqual([["cloudwatch:PutMetricData"]]);
    expect(open[0]?.Condition).toEqual({ StringEquals: { "cloudwatch:namespace": "RQueue" } });

    const exec = executionRolePolicy({ repositoryArn: "arn:repo", logGroupArn: "arn:lg", secretArns: [] });
    expect(exec.Statement.filter((s) => s.Resource === "*").map((s) => s.Action)).toEqual([
      ["ecr:GetAuthorizationToken"],
    ]);
    // No secrets, no SSM statement at all.
    expect(exec.Statement.some((s) => s.Sid === "ReadSecrets")).toBe(false);
  });

  it("build service ARNs in the new (cluster-qualified) format", () => {
    expect(ecsServiceArn(scope, "rqueue-dev", "rqueue-dev-worker")).toBe(
      "arn:aws:ecs:eu-west-1:123456789012:service/rqueue-dev/rqueue-dev-worker",
    );
  });

  it("restrict the task trust policy to ECS in this account", () => {
    const trust = ecsTasksAssumeRolePolicy(scope);
    expect(trust.Statement).toHaveLength(1);
    expect(trust.Statement[0]?.Condition?.ArnLike).toEqual({
      "aws:SourceArn": "arn:aws:ecs:eu-west-1:123456789012:*",
    });
  });

  it("take the partition from the caller's ARN", () => {
    expect(partitionOf("arn:aws-cn:iam::123456789012:user/x")).toBe("aws-cn");
    expect(() => partitionOf("nope")).toThrow();
  });
});
