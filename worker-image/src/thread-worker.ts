/**
 * Entry point of a handler thread (see thread-pool.ts): runs one job at a time
 * with the handler module it is told to load, and relays progress and log calls
 * to the main thread. Aborting is done by terminating the thread, so the
 * signal handed to the handler here never fires.
 */
import { parentPort } from "node:worker_threads";
import type { HandlerContext, HandlerDefinition } from "./handler-definition.js";
import type { SerializedError, ThreadReply, ThreadRequest } from "./thread-pool.js";

const port = parentPort;
if (!port) throw new Error("thread-worker.ts runs only inside a worker thread");

const modules = new Map<string, Promise<HandlerDefinition>>();
const progressCalls = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
let nextProgressId = 0;
const neverAborted = new AbortController().signal;

const reply = (message: ThreadReply) => port.postMessage(message);

function load(moduleUrl: string): Promise<HandlerDefinition> {
  let loaded = modules.get(moduleUrl);
  if (!loaded) {
    loaded = import(moduleUrl).then((module: { default: HandlerDefinition }) => module.default);
    modules.set(moduleUrl, loaded);
  }
  return loaded;
}

function serialize(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message, stack: error.stack };
  return { name: "Error", message: String(error) };
}

async function run(request: Extract<ThreadRequest, { kind: "run" }>): Promise<void> {
  const context: HandlerContext = {
    signal: neverAborted,
    attempt: request.job.attempt,
    log: (message) => reply({ kind: "log", message: String(message) }),
    parentResults: async () => request.parentResults,
    progress: (percent, detail) =>
      new Promise((resolve, reject) => {
        const id = nextProgressId++;
        progressCalls.set(id, { resolve, reject });
        reply({ kind: "progress", id, percent, ...(detail === undefined ? {} : { detail }) });
      }),
  };
  try {
    const definition = await load(request.moduleUrl);
    reply({ kind: "done", result: await definition.handle(request.job, context) });
  } catch (error) {
    reply({ kind: "failed", error: serialize(error) });
  }
}

port.on("message", (request: ThreadRequest) => {
  if (request.kind === "run") {
    void run(request);
    return;
  }
  const call = progressCalls.get(request.id);
  progressCalls.delete(request.id);
  if (request.error === undefined) call?.resolve();
  else call?.reject(new Error(request.error));
});
