/** A modal dialog: a titled panel over a backdrop, closed with Escape or its Cancel. */
import { type JSX, onCleanup, onMount } from "solid-js";

export function Modal(props: { title: string; onClose: () => void; children: JSX.Element; wide?: boolean }) {
  let panel: HTMLDivElement | undefined;
  const onKey = (event: KeyboardEvent) => {
    if (event.key === "Escape") props.onClose();
  };
  onMount(() => {
    document.addEventListener("keydown", onKey);
    panel?.querySelector<HTMLElement>("input, textarea, select, button")?.focus();
  });
  onCleanup(() => document.removeEventListener("keydown", onKey));
  return (
    // Escape closes it too (keydown on the document), so the backdrop click is not the only way out.
    // biome-ignore lint/a11y/noStaticElementInteractions: the backdrop is a pointer convenience only
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape is handled on the document
    <div class="backdrop" onClick={(event) => event.target === event.currentTarget && props.onClose()}>
      <div
        class="modal"
        classList={{ wide: props.wide }}
        role="dialog"
        aria-modal="true"
        aria-label={props.title}
        ref={panel}
      >
        <h2>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Asks before a destructive action; the action runs only on confirm. */
export function ConfirmDialog(props: {
  title: string;
  message: JSX.Element;
  confirmLabel: string;
  danger?: boolean;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Modal title={props.title} onClose={props.onClose}>
      <div class="modal-body">{props.message}</div>
      <div class="modal-actions">
        <button type="button" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          classList={{ danger: props.danger, primary: !props.danger }}
          onClick={() => {
            props.onConfirm();
            props.onClose();
          }}
        >
          {props.confirmLabel}
        </button>
      </div>
    </Modal>
  );
}
