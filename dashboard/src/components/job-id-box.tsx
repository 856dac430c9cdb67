/** The header's job id box: Enter jumps to the job (ids name their queue, so no search is needed). */
import { parseJobId } from "@rqueue/shared/contract";
import { useNavigate } from "@solidjs/router";
import { createSignal } from "solid-js";

export function JobIdBox(props: { ref?: (element: HTMLInputElement) => void }) {
  const navigate = useNavigate();
  const [problem, setProblem] = createSignal("");
  return (
    <form
      class="id-box"
      onSubmit={(event) => {
        event.preventDefault();
        const input = event.currentTarget.elements.namedItem("id") as HTMLInputElement;
        const id = input.value.trim();
        try {
          parseJobId(id);
          setProblem("");
          input.value = "";
          input.blur();
          navigate(`/jobs/${encodeURIComponent(id)}`);
        } catch {
          setProblem("a job id looks like queue:42");
        }
      }}
    >
      <input
        name="id"
        ref={props.ref}
        placeholder="Job id (press /)"
        aria-label="Job id"
        aria-invalid={problem() !== ""}
        title={problem() || "Jump to a job by its id, e.g. default:42"}
        autocomplete="off"
        spellcheck={false}
      />
    </form>
  );
}
