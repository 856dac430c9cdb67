/** Short-lived notices ("Retried 12 jobs", "Cannot cancel: it is completed") in one corner. */
import { createSignal, For } from "solid-js";

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
