/** The systems every scenario compares, R-queue first. */
import { beeQueue } from "./bee-queue.js";
import { bullmq } from "./bullmq.js";
import { rqueue } from "./rqueue.js";
import type { SystemFactory } from "./system.js";

export const SYSTEMS: readonly SystemFactory[] = [rqueue, bullmq, beeQueue];

export function systemByName(name: string): SystemFactory {
  const found = SYSTEMS.find((system) => system.name === name);
  if (!found) throw new Error(`unknown system ${name}`);
  return found;
}
