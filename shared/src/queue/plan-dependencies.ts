/**
 * Plans a batch whose jobs depend on each other by `ref` or on existing jobs by
 * id: checks refs (duplicates, unknown, cycles — naming the offending refs) and
 * queues (dependencies stay within one queue, so every step is single-slot on
 * Redis Cluster), then orders the batch so parents precede their children.
 * Nothing here touches Redis; the script checks that named parents exist.
 */
import { IssueList, ValidationError } from "../errors.js";
import { parseJobId } from "../job-id.js";
import { JOB_REF_PATTERN } from "../schemas/job-input.js";

export interface PlannedDependencies {
  /** Batch indexes in the order to write them (parents first). */
  order: number[];
  /** Per batch index: parents as seqs of existing jobs or `@k` (k = position in `order`). */
  parents: string[][];
}

const crossQueue = (what: string, other: string, queue: string) =>
  `${what} is in queue "${other}": dependencies must stay within queue "${queue}", because one queue lives in one Redis Cluster slot and its steps must be atomic`;

interface DependentInput {
  ref?: string | undefined;
  dependsOn?: readonly string[] | undefined;
}

/**
 * `refsElsewhere`: refs of jobs of the same request that go to other queues (ref →
 * queue), so a dependency on one is named as crossing queues, not as unknown.
 */
export function planDependencies(
  queue: string,
  inputs: readonly DependentInput[],
  single: boolean,
  refsElsewhere: ReadonlyMap<string, string> = new Map(),
): PlannedDependencies {
  // Most batches have no dependencies at all: written in the order given, with no parents.
  if (inputs.every((input) => input.ref === undefined && (input.dependsOn?.length ?? 0) === 0)) {
    return { order: inputs.map((_, index) => index), parents: inputs.map(() => []) };
  }
  const path = (index: number, field: string) => (single ? field : `jobs.${index}.${field}`);
  const issues = new IssueList();
  const refIndex = new Map<string, number>();
  inputs.forEach((input, index) => {
    if (input.ref === undefined) return;
    if (refIndex.has(input.ref))
      issues.add({ path: path(index, "ref"), message: `duplicate ref "${input.ref}"` });
    else refIndex.set(input.ref, index);
  });

  // Edges to batch parents, and resolved ids of existing parents.
  const batchParents: number[][] = inputs.map(() => []);
  const existingParents: string[][] = inputs.map(() => []);
  inputs.forEach((input, index) => {
    for (const entry of input.dependsOn ?? []) {
      if (JOB_REF_PATTERN.test(entry)) {
        const parent = refIndex.get(entry);
        const elsewhere = refsElsewhere.get(entry);
        if (parent === undefined && elsewhere !== undefined) {
          issues.add({
            path: path(index, "dependsOn"),
            message: crossQueue(`ref "${entry}"`, elsewhere, queue),
          });
        } else if (parent === undefined) {
          issues.add({ path: path(index, "dependsOn"), message: `unknown ref "${entry}"` });
        } else batchParents[index]?.push(parent);
        continue;
      }
      const parsed = parseJobId(entry);
      if (parsed.queue !== queue) {
        issues.add({
          path: path(index, "dependsOn"),
          message: crossQueue(`job ${entry}`, parsed.queue, queue),
        });
      } else {
        existingParents[index]?.push(parsed.seq);
      }
    }
  });
  if (issues.total > 0) throw issues.toError();

  const order = topologicalOrder(inputs, batchParents, single ? "dependsOn" : "jobs");
  const position = new Map(order.map((index, at) => [index, at]));
  const parents = inputs.map((_, index) => [
    ...(existingParents[index] ?? []),
    ...(batchParents[index] ?? []).map((parent) => `@${position.get(parent)}`),
  ]);
  return { order, parents };
}

/** Kahn's algorithm; a cycle is reported with the refs on it. */
function topologicalOrder(
  inputs: readonly DependentInput[],
  batchParents: number[][],
  path: string,
): number[] {
  const remaining = batchParents.map((parents) => parents.length);
  const children: number[][] = inputs.map(() => []);
  batchParents.forEach((parents, child) => {
    for (const parent of parents) children[parent]?.push(child);
  });
  const ready = remaining.flatMap((count, index) => (count === 0 ? [index] : []));
  const order: number[] = [];
  // A read position rather than shift(), which would make a batch of n jobs cost n².
  for (let next = 0; next < ready.length; next++) {
    const index = ready[next] as number;
    order.push(index);
    for (const child of children[index] ?? []) {
      remaining[child] = (remaining[child] ?? 0) - 1;
      if (remaining[child] === 0) ready.push(child);
    }
  }
  if (order.length < inputs.length) {
    const onCycle = remaining.flatMap((count, index) =>
      count > 0 ? [inputs[index]?.ref ?? `#${index}`] : [],
    );
    throw new ValidationError([
      { path, message: `dependency cycle: these refs are on or behind a cycle: ${onCycle.join(", ")}` },
    ]);
  }
  return order;
}
