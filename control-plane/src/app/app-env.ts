/**
 * The Hono environment every route shares: per-request variables set by the
 * middleware (request id, authenticated principal, body, the request's queues).
 */
import type { Principal } from "../config/api-keys.js";
import type { RequestQueues } from "../queues/request-queues.js";

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    /** The request body as read by bufferBody; null when there is none. */
    bodyText: string | null;
    /** The queues of this request, behind the Redis guard (see http/redis-guard.ts). */
    queues: RequestQueues;
  };
}
