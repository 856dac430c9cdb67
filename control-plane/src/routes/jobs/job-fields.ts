/**
 * `?omit=payload,result` on GET /v1/jobs/:id: leaves the two fields that can be
 * large (up to 512 KiB each) out of the answer, for clients that poll a job they
 * already hold (the dashboard's detail page); `omitted` names what was left out.
 */
import { unprocessable } from "../../http/api-error.js";

export const OMITTABLE_FIELDS = ["payload", "result"] as const;
export type OmittableField = (typeof OMITTABLE_FIELDS)[number];

export function parseOmit(text: string | undefined): OmittableField[] {
  if (text === undefined || text === "") return [];
  const fields = [...new Set(text.split(",").map((field) => field.trim()))];
  const unknown = fields.filter((field) => !(OMITTABLE_FIELDS as readonly string[]).includes(field));
  if (unknown.length > 0) {
    throw unprocessable([
      { path: "omit", message: `can only name ${OMITTABLE_FIELDS.join(", ")} (not ${unknown.join(", ")})` },
    ]);
  }
  return fields as OmittableField[];
}

export function omitFields<T extends Record<OmittableField, unknown>>(job: T, omit: OmittableField[]) {
  if (omit.length === 0) return job;
  const copy: Record<string, unknown> = { ...job };
  for (const field of omit) delete copy[field];
  return { ...copy, omitted: omit };
}
