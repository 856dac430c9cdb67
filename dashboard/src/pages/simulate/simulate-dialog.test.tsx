/**
 * The Simulate form is built from GET /v1/types: the type picker lists the
 * queue's registered types, the payload inputs come from the chosen type's JSON
 * Schema (a JSON box when the schema is not a flat object), and the batch sent
 * carries the typed payload. The API is a stand-in `fetch` (the server side is
 * tested against the real app).
 */
import { fireEvent, render, screen, waitFor } from "@solidjs/testing-library";
import { describe, expect, it, vi } from "vitest";
import SimulateDialog from "./simulate-dialog.js";

const registered = (type: string, schema: object | null) => ({
  queue: "default",
  type,
  schema,
  schemaVersion: "0123456789abcdef",
  defaults: {},
  workers: ["w-1"],
  updatedAt: new Date().toISOString(),
  counts: {},
});

const api = vi.hoisted(() => {
  const state = { batches: [] as unknown[], typeQueries: [] as string[] };
  globalThis.fetch = (async (url: string, init?: RequestInit) => {
    let body: unknown = {};
    if (url.startsWith("/v1/types")) {
      state.typeQueries.push(url);
      body = {
        types: [
          registered("echo", { $schema: "http://json-schema.org/draft-07/schema#" }),
          registered("fail", {
            type: "object",
            properties: { message: { type: "string" }, unrecoverable: { type: "boolean" } },
          }),
          registered("sleep", {
            type: "object",
            properties: { ms: { type: "integer", minimum: 0, maximum: 86_400_000 } },
            required: ["ms"],
          }),
        ],
      };
    } else if (url === "/v1/jobs/batch") {
      const sent = JSON.parse(String(init?.body)) as { jobs: unknown[] };
      state.batches.push(sent);
      body = { jobs: sent.jobs.map((_, i) => ({ id: `default:${i + 1}` })) };
    }
    return new Response(JSON.stringify(body), {
      status: 200,
      headers: { "content-type": "application/json" },
    });
  }) as typeof fetch;
  return state;
});

const input = (name: string) => document.querySelector(`[name="${name}"]`) as HTMLInputElement | null;

describe("simulate dialog", () => {
  it("offers the registered types and builds the payload inputs from the schema", async () => {
    render(() => <SimulateDialog onClose={() => {}} />);
    await waitFor(() => expect(screen.getAllByRole("option", { name: /sleep|echo|fail/ })).toHaveLength(3));
    expect(api.typeQueries).toEqual(["/v1/types?queue=default"]);
    // sleep is picked first; its one required integer field is an input of its own.
    const ms = input("payload.ms");
    expect(ms?.type).toBe("number");
    expect(ms?.max).toBe("86400000");
    fireEvent.input(ms as HTMLInputElement, { target: { value: "250" } });
    fireEvent.input(input("count") as HTMLInputElement, { target: { value: "2" } });
    fireEvent.input(input("group") as HTMLInputElement, { target: { value: "tenant" } });
    fireEvent.input(input("groups") as HTMLInputElement, { target: { value: "2" } });
    fireEvent.submit(screen.getByTestId("simulate-form"));
    await waitFor(() => expect(api.batches).toHaveLength(1));
    expect(api.batches[0]).toMatchObject({
      jobs: [
        { type: "sleep", queue: "default", payload: { ms: 250 }, group: "tenant-0" },
        { type: "sleep", payload: { ms: 250 }, group: "tenant-1" },
      ],
    });
  });

  it("switches the inputs with the type, down to a JSON box for schemas that are not flat objects", async () => {
    render(() => <SimulateDialog onClose={() => {}} />);
    const picker = await waitFor(() => {
      const select = input("type") as unknown as HTMLSelectElement;
      expect(select.options.length).toBe(3);
      return select;
    });
    fireEvent.change(picker, { target: { value: "fail" } });
    await waitFor(() => expect(input("payload.unrecoverable")?.type).toBe("checkbox"));
    expect(input("payload.message")?.type).toBe("text");
    expect(input("payload.ms")).toBeNull();
    fireEvent.change(picker, { target: { value: "echo" } });
    await waitFor(() => expect(input("payload")?.tagName).toBe("TEXTAREA"));
  });
});
