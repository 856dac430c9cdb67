/** A job's progress (0–100) as a thin bar with its percentage. */
export function ProgressBar(props: { percent: number | null | undefined }) {
  const percent = () => Math.max(0, Math.min(100, props.percent ?? 0));
  return (
    <span class="progress" role="progressbar" aria-valuenow={percent()} aria-valuemin={0} aria-valuemax={100}>
      <span class="progress-track">
        <span class="progress-fill" style={{ width: `${percent()}%` }} />
      </span>
      <span class="progress-label">{Math.round(percent())}%</span>
    </span>
  );
}
