/**
 * The create form's fields as a schedule input: a cron expression (with its time
 * zone) or an interval in seconds, the job's type and JSON payload, and the
 * policies. What the form cannot say (payload not JSON) is named here with the
 * field; everything else is the API's to judge, which names the field too.
 */
import {
  DEFAULT_QUEUE,
  type MisfirePolicy,
  type OverlapPolicy,
  type ScheduleInput,
} from "@rqueue/shared/contract";

export interface ScheduleFormValues {
  id: string;
  queue: string;
  timing: "cron" | "every";
  cron: string;
  timezone: string;
  everySeconds: string;
  type: string;
  payload: string;
  misfire: MisfirePolicy;
  overlap: OverlapPolicy;
}

export function scheduleInputOf(form: ScheduleFormValues): { input: ScheduleInput } | { problem: string } {
  let payload: unknown = {};
  if (form.payload.trim() !== "") {
    try {
      payload = JSON.parse(form.payload);
    } catch {
      return { problem: "job.payload: must be JSON" };
    }
  }
  const timing =
    form.timing === "cron"
      ? { cron: form.cron.trim(), ...(form.timezone.trim() ? { timezone: form.timezone.trim() } : {}) }
      : { everyMs: Math.round(Number(form.everySeconds) * 1000) };
  return {
    input: {
      ...(form.id.trim() ? { id: form.id.trim() } : {}),
      queue: form.queue.trim() || DEFAULT_QUEUE,
      ...timing,
      job: { type: form.type.trim(), payload },
      misfire: form.misfire,
      overlap: form.overlap,
    },
  };
}
