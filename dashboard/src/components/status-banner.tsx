/** The banner over every page when the API is unreachable, answers 503, or wants a key. */
import { Match, Switch } from "solid-js";
import { apiStatus } from "../lib/api.js";

export function StatusBanner(props: { onAskKey: () => void }) {
  return (
    <Switch>
      <Match when={apiStatus().kind === "unreachable"}>
        <div class="banner error" role="alert">
          The control plane cannot be reached. Showing the last data received; retrying.
        </div>
      </Match>
      <Match when={apiStatus().kind === "unavailable"}>
        <div class="banner warn" role="alert">
          The control plane answers 503: Redis is unavailable. Showing the last data received; retrying.
        </div>
      </Match>
      <Match when={apiStatus().kind === "unauthorized"}>
        <div class="banner warn" role="alert">
          This server needs an API key.{" "}
          <button type="button" class="link" onClick={props.onAskKey}>
            Enter a key
          </button>
        </div>
      </Match>
    </Switch>
  );
}
