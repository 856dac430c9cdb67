/**
 * What every storage operation of one queue needs: the connection, the key names,
 * the settings, and a script caller that passes the common leading arguments
 * (the queue's six fixed keys, its prefix, its settings and a random number).
 */
import { type QueueKeys, queueKeys } from "../keys.js";
import type { RedisClient } from "../redis/connection.js";
import { connectionDeadline, scriptDeadline } from "../redis/request-deadline.js";
import { runScriptAcked, type ScriptName, scriptRunner } from "../scripts/load-scripts.js";
import { encodeSettings, type QueueSettings } from "../settings.js";

export interface QueueContext {
  readonly name: string;
  readonly redis: RedisClient;
  readonly keys: QueueKeys;
  readonly settings: QueueSettings;
  /** Replicas every write of jobs must reach before it is reported done (WAIT; absent: none). */
  readonly writeAck: ReplicaAck | undefined;
  run(script: ScriptName, args: (string | number)[]): Promise<unknown>;
  /**
   * This context with every script refused by Redis once `localDeadlineMs` (this
   * host's clock) has passed, instead of by the connection's command timeout.
   */
  withDeadline(localDeadlineMs: number): QueueContext;
  /** `run`, then WAIT for `replicas` replicas on the same node (see runScriptAcked). */
  runAcked(
    script: ScriptName,
    args: (string | number)[],
    replicas: number,
    timeoutMs: number,
  ): Promise<[reply: unknown, acknowledged: number]>;
}

export interface ReplicaAck {
  replicas: number;
  timeoutMs: number;
}

export function createQueueContext(
  redis: RedisClient,
  name: string,
  settings: QueueSettings,
  writeAck?: ReplicaAck,
): QueueContext {
  const keys = queueKeys(name);
  const encodedSettings = encodeSettings(settings);
  // Settings end with the call's deadline (0: none), see redis/request-deadline.ts.
  const withoutDeadline = `${encodedSettings},0`;
  const runScript = scriptRunner(redis);
  const ack = writeAck && writeAck.replicas > 0 ? writeAck : undefined;
  const leading = (deadline: number) => [keys.prefix, `${encodedSettings},${deadline}`, Math.random()];
  const bound = (ownDeadline: number | undefined): QueueContext => {
    const withDeadline = <T>(call: (leadingArgs: (string | number)[]) => Promise<T>): Promise<T> => {
      const deadline = ownDeadline ?? connectionDeadline(redis);
      if (deadline === undefined) return call([keys.prefix, withoutDeadline, Math.random()]);
      return scriptDeadline(redis, deadline).then((redisDeadline) => call(leading(redisDeadline)));
    };
    return {
      name,
      redis,
      keys,
      settings,
      writeAck: ack,
      run: (script, args) => withDeadline((lead) => runScript(script, keys.scriptKeys, [...lead, ...args])),
      runAcked: (script, args, replicas, timeoutMs) =>
        withDeadline((lead) =>
          runScriptAcked(redis, script, keys.scriptKeys, [...lead, ...args], replicas, timeoutMs),
        ),
      withDeadline: bound,
    };
  };
  return bound(undefined);
}
