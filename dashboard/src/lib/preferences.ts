/**
 * What the viewer chooses once and keeps: the poll interval (local storage, so it
 * survives restarts) and the API key (session storage: gone when the tab closes).
 */
import { createSignal } from "solid-js";

export const POLL_CHOICES = [
  { label: "off", ms: 0 },
  { label: "1 s", ms: 1000 },
  { label: "2 s", ms: 2000 },
  { label: "5 s", ms: 5000 },
  { label: "15 s", ms: 15000 },
] as const;
const DEFAULT_POLL_MS = 2000;
const POLL_KEY = "rq.pollMs";
const API_KEY = "rq.apiKey";

function read(storage: () => Storage, key: string): string | null {
  try {
    return storage().getItem(key);
  } catch {
    return null; // storage disabled (private mode): keep it in memory only
  }
}

function write(storage: () => Storage, key: string, value: string | null) {
  try {
    if (value === null) storage().removeItem(key);
    else storage().setItem(key, value);
  } catch {
    // storage disabled: the in-memory signal still holds it
  }
}

const storedPoll = Number(read(() => localStorage, POLL_KEY));
const [pollMs, setPollSignal] = createSignal<number>(
  POLL_CHOICES.some((choice) => choice.ms === storedPoll) && read(() => localStorage, POLL_KEY) !== null
    ? storedPoll
    : DEFAULT_POLL_MS,
);

export { pollMs };
export function setPollMs(ms: number) {
  setPollSignal(ms);
  write(() => localStorage, POLL_KEY, String(ms));
}

const [apiKey, setApiKeySignal] = createSignal<string | null>(read(() => sessionStorage, API_KEY));

export { apiKey };
export function setApiKey(key: string | null) {
  setApiKeySignal(key);
  write(() => sessionStorage, API_KEY, key);
}
