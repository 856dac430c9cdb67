/** What is wrong with a form (a bad field, the API's refusal), below its fields as an alert; nothing while there is none. */
import { Show } from "solid-js";

export function FormProblem(props: { text: string }) {
  return (
    <Show when={props.text}>
      <p class="error-text" role="alert">
        {props.text}
      </p>
    </Show>
  );
}
