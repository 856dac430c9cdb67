/** A job state as a coloured pill; the colours live in styles.css (--state-<name>). */
import type { JobState } from "@rqueue/shared/contract";

export function StateBadge(props: { state: JobState | null }) {
  return (
    <span class="badge" data-state={props.state ?? "missing"}>
      {props.state ?? "deleted"}
    </span>
  );
}
