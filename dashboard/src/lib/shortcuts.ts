/**
 * Keyboard shortcuts: `/` focuses the job id box, `g` then a letter switches
 * pages, `?` toggles the list. Ignored while typing in a field.
 */
export const PAGE_SHORTCUTS: { key: string; path: string; label: string }[] = [
  { key: "o", path: "/", label: "Overview" },
  { key: "j", path: "/jobs", label: "Jobs" },
  { key: "d", path: "/dead-letters", label: "Dead letters" },
  { key: "w", path: "/workers", label: "Workers" },
  { key: "q", path: "/queues", label: "Queues" },
  { key: "s", path: "/schedules", label: "Schedules" },
  { key: "b", path: "/benchmark", label: "Benchmark" },
];

export interface ShortcutHandlers {
  focusSearch: () => void;
  navigate: (path: string) => void;
  toggleHelp: () => void;
}

const isTyping = (target: EventTarget | null) =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

/** Installs the shortcuts on `target`; returns the function that removes them. */
export function installShortcuts(handlers: ShortcutHandlers, target: Document = document): () => void {
  let pendingG = 0;
  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key === "/") {
      event.preventDefault();
      handlers.focusSearch();
      return;
    }
    if (event.key === "?") {
      handlers.toggleHelp();
      return;
    }
    if (pendingG && Date.now() - pendingG < 1500) {
      pendingG = 0;
      const page = PAGE_SHORTCUTS.find((shortcut) => shortcut.key === event.key);
      if (page) {
        event.preventDefault();
        handlers.navigate(page.path);
      }
      return;
    }
    pendingG = event.key === "g" ? Date.now() : 0;
  };
  target.addEventListener("keydown", onKey);
  return () => target.removeEventListener("keydown", onKey);
}
