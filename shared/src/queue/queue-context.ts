/**
 * What every storage operation of one queue needs: the connection, the key names,
 * the settings, and a script caller that passes the common leading arguments
 * (the queue's six fixed keys, its prefix, its settings and a random number).
 */
import { type QueueKeys, queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { currentRedisDeadline, scriptDeadline } from "../redis/request-deadline.js";
import { type ScriptName, scriptRunner } from "../scripts/load-scripts.js";
import { encodeSettings, type QueueSettings } from "../settings.js";

export interface QueueContext {
  readonly name: string;
  readonly redis: RedisClient;
  readonly keys: QueueKeys;
  readonly settings: QueueSettings;
  run(script: ScriptName, args: (string | number)[]): Promise<unknown>;
}

export function createQueueContext(redis: RedisClient, name: string, settings: QueueSettings): QueueContext {
  const keys = queueKeys(name);
  const encodedSettings = encodeSettings(settings);
  // Settings end with the call's deadline (0: none), see redis/request-deadline.ts.
  const withoutDeadline = `${encodedSettings},0`;
  const runScript = scriptRunner(redis);
  return {
    name,
    redis,
    keys,
    settings,
    run: (script, args) => {
      const deadline = currentRedisDeadline(redis);
      if (deadline === undefined) {
        return runScript(script, keys.scriptKeys, [keys.prefix, withoutDeadline, Math.random(), ...args]);
      }
      return scriptDeadline(redis, deadline).then((redisDeadline) =>
        runScript(script, keys.scriptKeys, [
          keys.prefix,
          `${encodedSettings},${redisDeadline}`,
          Math.random(),
          ...args,
        ]),
      );
    },
  };
}
