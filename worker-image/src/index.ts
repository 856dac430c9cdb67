/**
 * @rqueue/worker: R-queue's worker runtime for a Node process of one's own.
 * Define handlers with `defineHandler`, read the worker settings from the same
 * environment variables the image reads, and run a worker with them (heartbeats,
 * circuit breakers, graceful drain on SIGTERM). Handler modules that only define
 * a handler can import the lighter `@rqueue/worker/handler`.
 */
export { RateLimitedError, type RateLimitScope, UnrecoverableError } from "@rqueue/shared";
export { type ConfigResult, configFromEnv, parseConfig, type WorkerConfig } from "./config.js";
export {
  defineHandler,
  type HandlerContext,
  type HandlerDefinition,
  type HandlerJob,
} from "./handler-definition.js";
export {
  HANDLERS_DIR,
  type HandlerRegistry,
  type LoadedHandler,
  loadHandlers,
  registryOf,
} from "./handler-registry.js";
export {
  type HandlerSource,
  runWorker,
  type StartOptions,
  startWorker,
  VERSION,
  type WorkerRuntime,
} from "./launcher.js";
