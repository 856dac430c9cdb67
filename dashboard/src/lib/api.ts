/**
 * The one API client of the dashboard, and the connection status every request
 * updates: the banner shows "unreachable" (no answer), "unavailable" (503: Redis
 * down) or asks for a key (401) from it.
 */
import { ApiClient, ApiRequestError } from "@rqueue/shared/client";
import { createSignal } from "solid-js";
import { apiKey } from "./preferences.js";

export type ApiStatus =
  | { kind: "ok" }
  | { kind: "unreachable" }
  | { kind: "unavailable"; retryAfterSeconds: number | null }
  | { kind: "unauthorized" };

const [apiStatus, setApiStatus] = createSignal<ApiStatus>({ kind: "ok" });

export { apiStatus };

const trackingFetch: typeof fetch = async (input, init) => {
  try {
    const response = await fetch(input, init);
    if (response.status === 503) {
      const retry = response.headers.get("retry-after");
      setApiStatus({ kind: "unavailable", retryAfterSeconds: retry ? Number(retry) : null });
    } else if (response.status === 401) setApiStatus({ kind: "unauthorized" });
    else if (apiStatus().kind !== "ok") setApiStatus({ kind: "ok" });
    return response;
  } catch (error) {
    setApiStatus({ kind: "unreachable" });
    throw error;
  }
};

export const api = new ApiClient({ apiKey, fetch: trackingFetch });

export { ApiRequestError };

/** A message for a failed request, naming the field when the API named one. */
export function describeError(error: unknown): string {
  if (error instanceof ApiRequestError) {
    const issues = error.issues.map((issue) => `${issue.path || "input"}: ${issue.message}`);
    return issues.length > 0 ? issues.join("; ") : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
