/** Short-lived notices ("Retried 12 jobs", "Cannot cancel: it is completed") in one corner. */
import { createSignal, For } from "solid-js";
import { describeError } from "../lib/api.js";

interface Notice {
  id: number;
  text: string;
  kind: "info" | "error";
}

const [notices, setNotices] = createSignal<Notice[]>([]);
let nextId = 1;

export function notify(text: string, kind: Notice["kind"] = "info") {
  const id = nextId++;
  setNotices((list) => [...list.slice(-3), { id, text, kind }]);
  setTimeout(() => setNotices((list) => list.filter((notice) => notice.id !== id)), 5000);
}

/**
 * A page's action runner: each action ends in a notice with its label, or the
 * label and the API's error when it fails, and then in `refresh` (the page's
 * poll) either way, so the page shows what the action changed.
 */
export function noticeThenRefresh(refresh: () => Promise<void>) {
  return async (label: string, action: () => Promise<unknown>) => {
    try {
      await action();
      notify(label);
    } catch (error) {
      notify(`${label}: ${describeError(error)}`, "error");
    }
    await refresh();
  };
}

export function Notices() {
  return (
    <div class="notices" aria-live="polite">
      <For each={notices()}>
        {(notice) => (
          <div class="notice" data-kind={notice.kind} role={notice.kind === "error" ? "alert" : "status"}>
            {notice.text}
          </div>
        )}
      </For>
    </div>
  );
}
