/**
 * The search box over the archive: qualifiers (`state:failed`, `type:…`,
 * `payload.user.plan:pro`, `from:2026-12-01`) and words (error text). Enter
 * searches; an empty box goes back to the live list.
 */
import { createEffect, createSignal } from "solid-js";

export interface SearchBoxProps {
  value: string;
  onSearch: (text: string) => void;
}

export function SearchBox(props: SearchBoxProps) {
  const [text, setText] = createSignal(props.value);
  createEffect(() => setText(props.value));
  return (
    <search class="search-box">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          props.onSearch(text().trim());
        }}
      >
        <input
          type="search"
          name="q"
          aria-label="Search finished jobs"
          placeholder='Search finished jobs: state:failed payload.user.plan:pro "connection refused"'
          value={text()}
          onInput={(event) => setText(event.currentTarget.value)}
        />
        <button type="submit">Search</button>
      </form>
    </search>
  );
}
