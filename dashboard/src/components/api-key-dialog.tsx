/** Asks for the API key once; it is kept in session storage (gone with the tab). */

import { apiKey, setApiKey } from "../lib/preferences.js";
import { refetchSession } from "../lib/session.js";
import { Modal } from "./modal.js";

export function ApiKeyDialog(props: { onClose: () => void }) {
  return (
    <Modal title="API key" onClose={props.onClose}>
      <form
        class="form"
        onSubmit={(event) => {
          event.preventDefault();
          const value = (event.currentTarget.elements.namedItem("key") as HTMLInputElement).value.trim();
          setApiKey(value || null);
          void refetchSession();
          props.onClose();
        }}
      >
        <label>
          Key (sent as <code>Authorization: Bearer …</code>; kept for this tab only)
          <input name="key" type="password" value={apiKey() ?? ""} autocomplete="off" />
        </label>
        <div class="modal-actions">
          <button
            type="button"
            onClick={() => {
              setApiKey(null);
              void refetchSession();
              props.onClose();
            }}
          >
            Forget key
          </button>
          <button type="submit" class="primary">
            Use key
          </button>
        </div>
      </form>
    </Modal>
  );
}
