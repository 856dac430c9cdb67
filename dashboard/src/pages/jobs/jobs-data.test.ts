import type { Job, JobPage } from "@rqueue/shared/contract";
import { createRoot, createSignal } from "solid-js";
import { describe, expect, it } from "vitest";
import { holdNewRows } from "./jobs-data.js";

const job = (seq: number, state: Job["state"] = "pending") => ({ id: `default:${seq}`, state }) as Job;
const page = (...jobs: Job[]): JobPage => ({ items: jobs, nextCursor: null });

describe("new rows are held back", () => {
  it("keeps arrivals above the shown rows behind a count until shown, and updates known rows in place", () => {
    const [data, setData] = createSignal<JobPage | undefined>(page(job(3), job(2), job(1)));
    const [key, setKey] = createSignal("view-a");
    // Effects run once the root is set up, as they do once a page has rendered.
    const { held, dispose } = createRoot((dispose) => ({ held: holdNewRows(data, key), dispose }));
    expect(held.rows().map((j) => j.id)).toEqual(["default:3", "default:2", "default:1"]);
    expect(held.newCount()).toBe(0);

    setData(page(job(5), job(4), job(3, "processing"), job(2), job(1)));
    expect(held.newCount()).toBe(2);
    expect(held.rows().map((j) => j.id)).toEqual(["default:3", "default:2", "default:1"]);
    expect(held.rows()[0]?.state).toBe("processing");

    held.showNew();
    expect(held.newCount()).toBe(0);
    expect(held.rows()).toHaveLength(5);

    // A row that leaves the filter disappears; nothing is held when none of the shown rows remain.
    setData(page(job(6), job(5)));
    expect(held.newCount()).toBe(1);
    setData(page(job(8), job(7)));
    expect(held.rows().map((j) => j.id)).toEqual(["default:8", "default:7"]);

    // A new view shows its first page whole.
    setKey("view-b");
    setData(page(job(20), job(19)));
    expect(held.rows()).toHaveLength(2);
    expect(held.newCount()).toBe(0);
    dispose();
  });
});
