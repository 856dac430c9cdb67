/**
 * The Hono environment every route shares: per-request variables set by the
 * middleware (request id, authenticated principal, body size limit).
 */
import type { Principal } from "../config/api-keys.js";

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    /** The request body as read by bufferBody; null when there is none. */
    bodyText: string | null;
  };
}
