/**
 * What every storage operation of one queue needs: the connection, the key names,
 * the settings, and a script caller that passes the common leading arguments
 * (the queue's six fixed keys, its prefix, its settings and a random number).
 */
import { type QueueKeys, queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
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
  const runScript = scriptRunner(redis);
  return {
    name,
    redis,
    keys,
    settings,
    run: (script, args) =>
      runScript(script, keys.scriptKeys, [keys.prefix, encodedSettings, Math.random(), ...args]),
  };
}
