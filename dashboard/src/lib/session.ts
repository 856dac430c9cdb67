/**
 * Who the viewer is: the key's role, read from GET /v1/session and re-read when
 * the key changes. Mutating controls render only for the roles that may use them
 * (the server enforces the same roles on every call).
 */
import type { SessionInfo } from "@rqueue/shared/contract";
import { createResource, createRoot } from "solid-js";
import { api } from "./api.js";
import { apiKey } from "./preferences.js";

// Module-wide, for the page's lifetime: one root that is never disposed.
const [session, { refetch: refetchSession }] = createRoot(() =>
  createResource(
    () => ({ key: apiKey() }),
    () => api.session().catch(() => null),
    { initialValue: null },
  ),
);

export { refetchSession, session };

const RANK = { read: 0, submit: 1, admin: 2 } as const;
const allows = (info: SessionInfo | null | undefined, role: keyof typeof RANK) =>
  info ? RANK[info.role] >= RANK[role] : false;

export const canSubmit = () => allows(session(), "submit");
export const canAdmin = () => allows(session(), "admin");
