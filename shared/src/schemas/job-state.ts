/**
 * The job states and which of them are final. Shared by the engine, the API and
 * the dashboard, so a state name exists exactly once.
 */
import * as v from "valibot";

export const JOB_STATES = [
  "blocked",
  "scheduled",
  "pending",
  "processing",
  "completed",
  "failed",
  "canceled",
] as const;

export const JobStateSchema = v.picklist(JOB_STATES, `must be one of ${JOB_STATES.join(", ")}`);
export type JobState = (typeof JOB_STATES)[number];

export const FINAL_STATES: readonly JobState[] = ["completed", "failed", "canceled"];
export const isFinalState = (state: JobState) => FINAL_STATES.includes(state);
