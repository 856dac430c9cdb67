/**
 * Pretty JSON, rendered as one text block (never a node per key), so a 500 KiB
 * payload cannot freeze the page. Large values start collapsed behind their
 * size and, once opened, show their first 64 KiB until asked for the rest.
 */
import { createMemo, createSignal, Show } from "solid-js";
import { formatBytes } from "../lib/format.js";

export const COLLAPSE_OVER_BYTES = 16 * 1024;
const PREVIEW_CHARS = 64 * 1024;

export function JsonViewer(props: { value: unknown; label: string }) {
  // Compact form only for the size: cheap next to rendering.
  const compactLength = createMemo(() => JSON.stringify(props.value ?? null).length);
  const large = () => compactLength() > COLLAPSE_OVER_BYTES;
  const [open, setOpen] = createSignal(false);
  const [whole, setWhole] = createSignal(false);
  const pretty = createMemo(() => (open() || !large() ? JSON.stringify(props.value ?? null, null, 2) : ""));
  const shown = () => (whole() ? pretty() : pretty().slice(0, PREVIEW_CHARS));

  return (
    <div class="json-viewer">
      <Show
        when={open() || !large()}
        fallback={
          <button type="button" class="link" onClick={() => setOpen(true)}>
            Show {props.label} ({formatBytes(compactLength())})
          </button>
        }
      >
        <pre data-testid={`json-${props.label}`}>{shown()}</pre>
        <Show when={pretty().length > PREVIEW_CHARS && !whole()}>
          <button type="button" class="link" onClick={() => setWhole(true)}>
            Show all {formatBytes(pretty().length)}
          </button>
        </Show>
        <Show when={large()}>
          <button
            type="button"
            class="link"
            onClick={() => {
              setOpen(false);
              setWhole(false);
            }}
          >
            Collapse
          </button>
        </Show>
      </Show>
    </div>
  );
}
