/**
 * The control plane's entry point: configuration (exit 1 with every problem
 * listed), the loud open-mode warning, start, and graceful shutdown on SIGTERM or
 * SIGINT (a second signal exits at once).
 */
import { ConfigError, loadConfig } from "./config/config.js";
import { createLogger } from "./logging/logger.js";
import { ListenError, listeningLine } from "./server/listen-error.js";
import { startControlPlane } from "./server/start-server.js";

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`R-queue control plane: ${error.message}\n`);
    process.exit(1);
  }
  const log = createLogger(config.logLevel);
  for (const warning of config.warnings) log.warn(warning);
  if (config.apiKeys.length === 0) {
    log.warn(
      "!!! RQ_API_KEYS is not set: the API is OPEN, every caller is admin. Fine on your laptop, never anywhere else. !!!",
    );
  }
  let running: Awaited<ReturnType<typeof startControlPlane>>;
  try {
    running = await startControlPlane(config, log);
  } catch (error) {
    if (!(error instanceof ListenError)) throw error;
    process.stderr.write(`R-queue control plane: ${error.message}\n`);
    process.exit(1);
  }
  log.info(
    {
      host: config.host,
      port: running.port,
      url: running.url,
      cloudwatch: Boolean(config.cloudwatch),
      ecs: Boolean(config.ecs),
    },
    listeningLine(running.url, config.host, config.apiKeys.length === 0),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn({ signal }, "second signal: exiting now");
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, "shutting down: finishing in-flight requests");
    running.close().then(
      () => {
        log.info("shut down cleanly");
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`R-queue control plane failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
