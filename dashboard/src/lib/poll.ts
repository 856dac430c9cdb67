/**
 * Polling that never flashes empty: the last good value stays on screen while the
 * next request runs or fails. It follows the chosen interval, stops while the tab
 * is hidden (and refreshes when it comes back), and can be paused (e.g. while rows
 * are selected). A change of `key` (new filters) fetches at once.
 */
import { type Accessor, createEffect, createSignal, on, onCleanup } from "solid-js";
import { pollMs } from "./preferences.js";

export interface Poll<T> {
  data: Accessor<T | undefined>;
  error: Accessor<unknown>;
  /** True until the first answer for the current key. */
  loading: Accessor<boolean>;
  refresh: () => Promise<void>;
}

export interface PollOptions<K> {
  key?: Accessor<K>;
  paused?: Accessor<boolean>;
  /** Overrides the viewer's interval (e.g. 0 once a job is final). */
  interval?: Accessor<number>;
}

export function createPoll<T, K = undefined>(
  fetcher: (key: K) => Promise<T>,
  options: PollOptions<K> = {},
): Poll<T> {
  const [data, setData] = createSignal<T | undefined>(undefined);
  const [error, setError] = createSignal<unknown>(undefined);
  const [loading, setLoading] = createSignal(true);
  const keyOf = options.key ?? (() => undefined as K);
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const interval = () => (options.interval ? options.interval() : pollMs());

  const schedule = () => {
    clearTimeout(timer);
    const ms = interval();
    if (ms > 0 && !options.paused?.()) timer = setTimeout(() => void run(), ms);
  };

  async function run(): Promise<void> {
    const mine = ++generation;
    clearTimeout(timer);
    try {
      const value = await fetcher(keyOf());
      if (mine !== generation) return;
      setData(() => value);
      setError(undefined);
    } catch (failure) {
      if (mine !== generation) return;
      setError(() => failure);
    } finally {
      if (mine === generation) {
        setLoading(false);
        if (document.visibilityState !== "hidden") schedule();
      }
    }
  }

  createEffect(
    on(keyOf, () => {
      setLoading(true);
      void run();
    }),
  );
  createEffect(on([interval, () => options.paused?.() ?? false], () => schedule(), { defer: true }));

  const onVisibility = () => {
    if (document.visibilityState === "hidden") clearTimeout(timer);
    else void run();
  };
  document.addEventListener("visibilitychange", onVisibility);
  onCleanup(() => {
    generation++;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  });

  return { data, error, loading, refresh: run };
}
