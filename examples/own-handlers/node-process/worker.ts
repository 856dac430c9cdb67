/**
 * A worker process of one's own: the R-queue worker runtime with this program's
 * handlers. Settings come from the same environment variables as the worker
 * image (REDIS_URL, RQ_QUEUES, RQ_CONCURRENCY, ...); SIGTERM drains running jobs.
 *   REDIS_URL=redis://127.0.0.1:6379 RQ_QUEUES=emails npx tsx node-process/worker.ts
 */
import { configFromEnv, runWorker } from "@rqueue/worker";
import { sendWelcome } from "./send-welcome.js";

await runWorker(configFromEnv(), { handlers: [sendWelcome] });
