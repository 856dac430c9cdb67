/**
 * The named schemas of the OpenAPI document (`ref("Job")` in a route description
 * points here): request schemas are the shared valibot schemas the API validates
 * with, response schemas the ones in response-schemas.ts and beside their routes.
 */
import {
  BenchmarkInputSchema,
  FlowRuleSchema,
  JobInputSchema,
  JobStateSchema,
  OperationInputSchema,
  ReplayInputSchema,
  ScheduleInputSchema,
  ScheduleUpdateSchema,
} from "@rqueue/shared";
import { FlowStateSchema } from "../flow/flow-schemas.js";
import { ScheduleSchema } from "../schedules/schedule-schemas.js";
import { SearchPageSchema, StoredJobSchema } from "../search/search-schemas.js";
import { DeadLetterGroupSchema, OperationSchema, StatsPointSchema } from "./dashboard-schemas.js";
import { type JsonObject, jsonSchemaOf } from "./describe-route.js";
import { ErrorSchema, JobPageSchema, JobSchema } from "./response-schemas.js";

export function componentSchemas(): Record<string, JsonObject> {
  return {
    JobInput: jsonSchemaOf(JobInputSchema),
    JobState: jsonSchemaOf(JobStateSchema),
    Job: jsonSchemaOf(JobSchema),
    JobPage: jsonSchemaOf(JobPageSchema),
    StoredJob: jsonSchemaOf(StoredJobSchema),
    SearchPage: jsonSchemaOf(SearchPageSchema),
    Error: jsonSchemaOf(ErrorSchema),
    Operation: jsonSchemaOf(OperationSchema),
    OperationInput: jsonSchemaOf(OperationInputSchema),
    ReplayInput: jsonSchemaOf(ReplayInputSchema),
    BenchmarkInput: jsonSchemaOf(BenchmarkInputSchema),
    StatsPoint: jsonSchemaOf(StatsPointSchema),
    DeadLetterGroup: jsonSchemaOf(DeadLetterGroupSchema),
    Schedule: jsonSchemaOf(ScheduleSchema),
    ScheduleInput: jsonSchemaOf(ScheduleInputSchema),
    ScheduleUpdate: jsonSchemaOf(ScheduleUpdateSchema),
    FlowRule: jsonSchemaOf(FlowRuleSchema),
    FlowState: jsonSchemaOf(FlowStateSchema),
  };
}
