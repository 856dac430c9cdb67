/**
 * The frame around every page: navigation, the job id box, the poll interval,
 * the key, the status banner, notices and the keyboard shortcuts.
 */
import { A, useNavigate } from "@solidjs/router";
import { createSignal, For, type JSX, lazy, onCleanup, onMount, Show } from "solid-js";
import { ApiKeyDialog } from "./components/api-key-dialog.js";
import { JobIdBox } from "./components/job-id-box.js";
import { Modal } from "./components/modal.js";
import { Notices } from "./components/notices.js";
import { StatusBanner } from "./components/status-banner.js";
import { POLL_CHOICES, pollMs, setPollMs } from "./lib/preferences.js";
import { canSubmit, session } from "./lib/session.js";
import { installShortcuts, PAGE_SHORTCUTS } from "./lib/shortcuts.js";

const SimulateDialog = lazy(() => import("./pages/simulate/simulate-dialog.js"));

const NAV = [
  { href: "/", label: "Overview", end: true },
  { href: "/jobs", label: "Jobs" },
  { href: "/dead-letters", label: "Dead letters" },
  { href: "/workers", label: "Workers" },
  { href: "/queues", label: "Queues" },
  { href: "/schedules", label: "Schedules" },
  { href: "/operations", label: "Operations" },
  { href: "/benchmark", label: "Benchmark" },
];

export function App(props: { children?: JSX.Element }) {
  const navigate = useNavigate();
  const [askKey, setAskKey] = createSignal(false);
  const [help, setHelp] = createSignal(false);
  const [simulate, setSimulate] = createSignal(false);
  let idBox: HTMLInputElement | undefined;

  onMount(() => {
    const remove = installShortcuts({
      focusSearch: () => idBox?.focus(),
      navigate,
      toggleHelp: () => setHelp((open) => !open),
    });
    onCleanup(remove);
  });

  return (
    <div class="app">
      <header class="topbar">
        <A href="/" class="brand">
          R-queue
        </A>
        <nav class="nav">
          <For each={NAV}>
            {(item) => (
              <A href={item.href} end={item.end} activeClass="active">
                {item.label}
              </A>
            )}
          </For>
        </nav>
        <div class="topbar-tools">
          <JobIdBox ref={(element) => (idBox = element)} />
          <Show when={canSubmit()}>
            <button type="button" class="primary" onClick={() => setSimulate(true)}>
              Simulate
            </button>
          </Show>
          <label class="poll">
            <span>Refresh</span>
            <select
              aria-label="Refresh interval"
              value={String(pollMs())}
              onChange={(event) => setPollMs(Number(event.currentTarget.value))}
            >
              <For each={POLL_CHOICES}>
                {(choice) => <option value={String(choice.ms)}>{choice.label}</option>}
              </For>
            </select>
          </label>
          <button
            type="button"
            class="key-button"
            title={session() ? `signed in as ${session()?.name} (${session()?.role})` : "enter an API key"}
            onClick={() => setAskKey(true)}
          >
            {session() ? `${session()?.role}` : "key"}
          </button>
        </div>
      </header>
      <StatusBanner onAskKey={() => setAskKey(true)} />
      <main class="page">{props.children}</main>
      <Notices />
      <Show when={askKey()}>
        <ApiKeyDialog onClose={() => setAskKey(false)} />
      </Show>
      <Show when={simulate()}>
        <SimulateDialog onClose={() => setSimulate(false)} />
      </Show>
      <Show when={help()}>
        <Modal title="Keyboard shortcuts" onClose={() => setHelp(false)}>
          <dl class="shortcuts">
            <dt>
              <kbd>/</kbd>
            </dt>
            <dd>Jump to a job by id</dd>
            <For each={PAGE_SHORTCUTS}>
              {(shortcut) => (
                <>
                  <dt>
                    <kbd>g</kbd> <kbd>{shortcut.key}</kbd>
                  </dt>
                  <dd>{shortcut.label}</dd>
                </>
              )}
            </For>
            <dt>
              <kbd>?</kbd>
            </dt>
            <dd>This list</dd>
          </dl>
        </Modal>
      </Show>
    </div>
  );
}
